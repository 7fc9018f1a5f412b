// Command line + config file -> PipelineSpec (Boost.Program_options, two passes).
#include "cli/pipeline_config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "stages/register_builtin.h"
#include "tests/fixtures/test_util.h"

namespace snpflow {
namespace {

using testing::TempDir;

StageRegistry Builtins() {
  StageRegistry r;
  RegisterBuiltinStages(r);
  return r;
}

TEST(ParsePipeline, CommandLineOptionsAndShortcuts) {
  StageRegistry registry = Builtins();
  PipelineSpec spec = ParsePipeline({"in.vcf.gz", "--labels", "p.panel", "-r", "1:1-100", "-S", "s.txt",
                                     "--threads", "2", "--maf", "0.05", "--folds", "4", "--seed", "9",
                                     "-o", "out", "-q"},
                                    PipelineMode::kIngest, registry);
  EXPECT_EQ(spec.ingest.input.path, "in.vcf.gz");
  EXPECT_EQ(spec.ingest.input.regions, "1:1-100");
  EXPECT_EQ(spec.ingest.input.samples_file, "s.txt");
  EXPECT_EQ(spec.ingest.threads, 2);
  EXPECT_EQ(spec.ingest.folds, 4);
  EXPECT_EQ(spec.ingest.seed, 9u);
  EXPECT_TRUE(spec.ingest.quiet);
  ASSERT_EQ(spec.ingest.stages.size(), 1u);
  EXPECT_EQ(spec.ingest.stages[0].name, "filter");
  EXPECT_EQ(spec.ingest.options["filter"]["min-maf"], "0.05");
}

TEST(ParsePipeline, ConfigSectionsBecomeStageOptionsAndTheCommandLineWins) {
  TempDir dir;
  std::ofstream(dir / "p.ini") << "input = a.bcf\nlabels = a.panel\noutput = o\nthreads = 3\n"
                                  "[pipeline]\nstages = filter, strict\n"
                                  "[filter]\nmin-maf = 0.01\nmax-missing = 0.2\n"
                                  "[strict]\nstage = filter\nmin-maf = 0.3\n"
                                  "[store]\nzstd-level = 5\n";
  StageRegistry registry = Builtins();
  PipelineSpec spec = ParsePipeline({dir / "p.ini", "--filter.min-maf", "0.02", "--threads", "1"},
                                    PipelineMode::kRun, registry);
  EXPECT_EQ(spec.ingest.input.path, "a.bcf");
  EXPECT_EQ(spec.ingest.threads, 1);  // command line wins
  ASSERT_EQ(spec.ingest.stages.size(), 2u);
  EXPECT_EQ(spec.ingest.stages[1].name, "filter");
  EXPECT_EQ(spec.ingest.stages[1].label, "strict");
  EXPECT_EQ(spec.ingest.options["filter"]["min-maf"], "0.02");
  EXPECT_EQ(spec.ingest.options["filter"]["max-missing"], "0.2");
  EXPECT_EQ(spec.ingest.options["strict"]["min-maf"], "0.3");
  EXPECT_EQ(spec.ingest.options["store"]["zstd-level"], "5");
}

TEST(ParsePipeline, UnknownConfigKeyNamesFileAndNearestOption) {
  TempDir dir;
  std::ofstream(dir / "bad.ini") << "[filter]\nmin-mf = 0.1\n";
  StageRegistry registry = Builtins();
  try {
    ParsePipeline({dir / "bad.ini"}, PipelineMode::kRun, registry);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.ini': unknown option 'filter.min-mf'; did you mean "
                                         "'filter.min-maf'?"),
              std::string::npos) << e.what();
  }
}

TEST(ParsePipeline, UnknownStageListsKnownOnes) {
  StageRegistry registry = Builtins();
  try {
    ParsePipeline({"x.vcf", "--stage", "hwe-filtr"}, PipelineMode::kIngest, registry);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown stage 'hwe-filtr'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("Known stages: "), std::string::npos) << e.what();
  }
}

TEST(ParsePipeline, BadValueFailsBeforeAnyWork) {
  StageRegistry registry = Builtins();
  EXPECT_THROW(ParsePipeline({"x.vcf", "--filter.min-maf", "0.7"}, PipelineMode::kIngest, registry),
               ConfigError);
  EXPECT_THROW(ParsePipeline({"x.vcf", "--store.zstd-level", "x"}, PipelineMode::kIngest, registry),
               ConfigError);
}

}  // namespace
}  // namespace snpflow
