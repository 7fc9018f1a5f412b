// End-to-end ingest: real htslib on simulator and bcftools output, through the CLI.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "io/npy.h"
#include "io/packed_store.h"
#include "stages/fold_stats.h"
#include "tests/fixtures/test_util.h"

namespace snpflow {
namespace {

using testing::ReadFile;
using testing::RunShell;
using testing::RunSnpflow;
using testing::TempDir;

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

uint8_t CodeOfGt(std::string gt) {
  if (gt.find('.') != std::string::npos) return 3;
  int alt = 0;
  for (char c : gt) alt += c == '1';
  return static_cast<uint8_t>(alt);
}

// A small simulated data set shared by the tests of this file (written once).
class IngestTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    auto r = RunSnpflow("simulate --samples 120 --snps 3000 --chroms 2 --missing-rate 0.02 "
                        "--multiallelic-rate 0.02 --indel-rate 0.02 --seed 7 -q -O z -o " +
                        *dir_ / "sim.vcf.gz");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = RunShell("bcftools view -Ob -o " + *dir_ / "sim.bcf" + " " + *dir_ / "sim.vcf.gz" +
                 " && bcftools index " + *dir_ / "sim.bcf");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string Sim(const std::string& name) { return *dir_ / name; }
  static std::string Panel() { return *dir_ / "sim.panel"; }
  static TempDir* dir_;
};
TempDir* IngestTest::dir_ = nullptr;

TEST_F(IngestTest, RemovesTempFilesThatAKilledRunLeftInTheOutputDirectory) {
  TempDir out;
  std::filesystem::create_directories(out / "fold_1");
  WriteText(out / ".store.snpf.snpflow-tmp.k1lled", "half a store");
  WriteText(out / "fold_1/.embedding.npy.snpflow-tmp.Zz9Zz9", "half an embedding");
  WriteText(out / "notes.txt", "the user's");
  auto r = RunSnpflow("ingest " + Sim("sim.bcf") + " --labels " + Panel() + " -q -o " + out.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out / ".store.snpf.snpflow-tmp.k1lled"));
  EXPECT_FALSE(std::filesystem::exists(out / "fold_1/.embedding.npy.snpflow-tmp.Zz9Zz9"));
  EXPECT_EQ(ReadFile(out / "notes.txt"), "the user's");
  EXPECT_TRUE(std::filesystem::exists(out / "store.snpf"));
}

TEST_F(IngestTest, CodesMatchBcftoolsQuery) {
  TempDir out;
  auto r = RunSnpflow("ingest " + Sim("sim.vcf.gz") + " --labels " + Panel() + " -q -o " + out.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // bcftools keeps the same records: biallelic SNPs.
  auto q = RunShell("bcftools view -m2 -M2 -v snps " + Sim("sim.vcf.gz") +
                    " | bcftools query -f '[%GT\\t]\\n'");
  ASSERT_EQ(q.exit_code, 0) << q.err;
  auto rows = Lines(q.out);
  io::PackedStore store = io::PackedStore::Load(out / "store.snpf");
  ASSERT_EQ(store.num_variants(), rows.size());
  ASSERT_EQ(store.num_samples(), 120u);
  size_t missing = 0;
  for (size_t j = 0; j < rows.size(); ++j) {
    std::istringstream in(rows[j]);
    std::string gt;
    for (size_t i = 0; i < store.num_samples(); ++i) {
      ASSERT_TRUE(static_cast<bool>(in >> gt));
      ASSERT_EQ(store.code(i, j), CodeOfGt(gt)) << "variant " << j << " sample " << i << " " << gt;
      missing += gt[0] == '.';
    }
  }
  EXPECT_GT(missing, 0u);  // the simulator's missing calls reached the store as code 3
  std::string summary = ReadFile(out / "ingest.json");
  EXPECT_NE(summary.find("\"multi-allelic\""), std::string::npos) << summary;
  EXPECT_NE(summary.find("\"not-snp\""), std::string::npos) << summary;
}

TEST_F(IngestTest, HandWrittenGenotypeForms) {
  TempDir dir;
  WriteText(dir / "forms.vcf",
            "##fileformat=VCFv4.2\n"
            "##contig=<ID=1,length=1000>\n"
            "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n"
            "##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"Depth\">\n"
            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\tC\tD\tE\tF\n"
            "1\t10\tv1\tA\tC\t.\t.\t.\tGT\t0/0\t0|1\t1/1\t./.\t.|.\t1|0\n"
            "1\t20\tv2\tA\tC\t.\t.\t.\tGT\t0/0\t0\t1/1\t0/1\t0/0\t0/0\n"
            "1\t30\tv3\tA\tC\t.\t.\t.\tGT\t0/0\t0/1/1\t1/1\t0/1\t0/0\t0/0\n"
            "1\t40\tv4\tA\tC,G\t.\t.\t.\tGT\t0/0\t1/2\t1/1\t0/1\t0/0\t0/0\n"
            "1\t50\tv5\tG\tT\t.\t.\t.\tGT:DP\t.\t0/1:3\t1/1:4\t./.:.\t0/0:1\t0/0:2\n"
            "1\t60\tv6\tG\tT\t.\t.\t.\tGT\t./.\t./.\t./.\t./.\t./.\t./.\n"
            "1\t70\tv7\tG\tT\t.\t.\t.\tGT\t.\t1/1\t0/1\t0/0\t0/1\t1/1\n"
            "1\t80\tv8\tG\tGT\t.\t.\t.\tGT\t0/0\t1/1\t0/1\t0/0\t0/1\t1/1\n"
            "1\t90\tv9\tG\tT\t.\t.\t.\tGT\t0/0\t0/2\t0/1\t0/0\t0/1\t1/1\n");
  WriteText(dir / "labels.tsv", "sample\tpop\tsuper_pop\tgender\nA\tX\tS\tm\nB\tX\tS\tf\nC\tX\tS\tm\n"
                                "D\tY\tS\tf\nE\tY\tS\tm\nF\tY\tS\tf\n");
  auto r = RunSnpflow("ingest " + dir / "forms.vcf" + " --labels " + dir / "labels.tsv" +
                      " --folds 3 -q -o " + dir / "out");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  io::PackedStore store = io::PackedStore::Load(dir / "out/store.snpf");
  ASSERT_EQ(store.num_variants(), 4u);  // v1, v2 (haploid "0" read as 0/0), v5, v7
  EXPECT_EQ(store.sites()[0].id, "v1");
  EXPECT_EQ(store.sites()[1].id, "v2");
  EXPECT_EQ(store.sites()[2].id, "v5");
  EXPECT_EQ(store.sites()[3].id, "v7");
  const std::vector<std::vector<int>> expected = {
      {0, 1, 2, 3, 3, 1}, {0, 0, 2, 1, 0, 0}, {3, 1, 2, 3, 0, 0}, {3, 2, 1, 0, 1, 2}};
  for (size_t j = 0; j < 4; ++j)
    for (size_t i = 0; i < 6; ++i) EXPECT_EQ(store.code(i, j), expected[j][i]) << j << "," << i;
  std::string summary = ReadFile(dir / "out/ingest.json");
  EXPECT_NE(summary.find("\"not-diploid\": 1"), std::string::npos) << summary;  // 0/1/1
  EXPECT_NE(summary.find("\"multi-allelic\": 1"), std::string::npos) << summary;
  EXPECT_NE(summary.find("\"all-missing\": 1"), std::string::npos) << summary;
  EXPECT_NE(summary.find("\"not-snp\": 1"), std::string::npos) << summary;
  EXPECT_NE(summary.find("\"invalid-allele\": 1"), std::string::npos) << summary;  // 0/2, one ALT
  EXPECT_NE(summary.find("\"counted\": {\"haploid-calls-as-hom\": 1}"), std::string::npos) << summary;
  EXPECT_NE(summary.find("\"records\": 9"), std::string::npos) << summary;
}

TEST_F(IngestTest, VcfGzBcfAndStdinGiveIdenticalStores) {
  TempDir out;
  std::string common = " --labels " + Panel() + " -q -o ";
  ASSERT_EQ(RunSnpflow("ingest " + Sim("sim.vcf.gz") + common + out / "gz").exit_code, 0);
  ASSERT_EQ(RunSnpflow("ingest " + Sim("sim.bcf") + common + out / "bcf").exit_code, 0);
  auto r = RunShell("cat " + Sim("sim.bcf") + " | " + testing::SnpflowCli() + " ingest -" + common +
                    out / "stdin");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* f : {"store.snpf", "counts.npy", "variants.tsv", "samples.tsv"}) {
    std::string gz = ReadFile(out / "gz/" + f);
    EXPECT_EQ(gz, ReadFile(out / "bcf/" + f)) << f;
    EXPECT_EQ(gz, ReadFile(out / "stdin/" + f)) << f;
  }
}

TEST_F(IngestTest, OneAndTwoThreadsGiveByteIdenticalOutputs) {
  TempDir out;
  // Small blocks in flight and several threads exercise reordering in the sequencer. More
  // threads than cores too: quiet still means nothing on stderr (TBB warned that it refused the
  // extra workers).
  const int more_than_cores = static_cast<int>(std::thread::hardware_concurrency()) + 2;
  for (int threads : {1, 2, 4, more_than_cores}) {
    auto r = RunSnpflow("ingest " + Sim("sim.bcf") + " --labels " + Panel() + " -q --threads " +
                        std::to_string(threads) + " --blocks-in-flight 3 -o " + out / std::to_string(threads));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "") << threads << " threads";
  }
  for (const char* f : {"store.snpf", "counts.npy", "variants.tsv", "samples.tsv"}) {
    EXPECT_EQ(ReadFile(out / "1/" + f), ReadFile(out / "2/" + f)) << f;
    EXPECT_EQ(ReadFile(out / "1/" + f), ReadFile(out / "4/" + f)) << f;
    EXPECT_EQ(ReadFile(out / "1/" + f), ReadFile(out / std::to_string(more_than_cores) + "/" + f))
        << f;
  }
}

// A plain ingest writes its files while the graph runs (store tiles as they are compressed,
// counts.npy and variants.tsv row by row); one that goes on to export keeps the data in memory
// and writes the files from it at the end. Both give the same bytes.
TEST_F(IngestTest, StreamedFilesEqualThoseWrittenFromMemory) {
  TempDir out;
  for (const char* mode : {"streamed", "kept"}) {
    const std::string extra = std::string(mode) == "kept" ? " --export" : "";
    auto r = RunSnpflow("ingest " + Sim("sim.bcf") + " --labels " + Panel() +
                        " -q --threads 2 --blocks-in-flight 3" + extra + " -o " + out / mode);
    ASSERT_EQ(r.exit_code, 0) << mode << ": " << r.err;
  }
  EXPECT_TRUE(std::filesystem::exists(out / "kept/export"));
  for (const char* f : {"store.snpf", "counts.npy", "variants.tsv"})
    EXPECT_EQ(ReadFile(out / "streamed/" + f), ReadFile(out / "kept/" + f)) << f;
}

TEST_F(IngestTest, RegionsAndSamplesSelectWhatBcftoolsSelects) {
  TempDir out;
  // Samples: every third sample of the panel.
  auto panel = Lines(ReadFile(Panel()));
  std::string chosen;
  std::vector<std::string> ids;
  for (size_t i = 1; i < panel.size(); i += 3) {
    std::string id = panel[i].substr(0, panel[i].find('\t'));
    chosen += id + "\n";
    ids.push_back(id);
  }
  WriteText(out / "samples.txt", chosen);
  // Overlapping regions give each record once, as in bcftools.
  const std::string region = "1:1-30000000,1:20000000-35000000,2:5000000-60000000";
  for (const char* input : {"sim.vcf.gz", "sim.bcf"}) {
    std::string o = out / (std::string("o_") + input);
    auto r = RunSnpflow("ingest " + Sim(input) + " --labels " + Panel() + " -r " + region + " -S " +
                        out / "samples.txt" + " -q --folds 3 -o " + o);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto q = RunShell("bcftools view -r " + region + " -S " + out / "samples.txt" + " -m2 -M2 -v snps " +
                      Sim("sim.bcf") + " | bcftools query -f '%CHROM\\t%POS[\\t%GT]\\n'");
    ASSERT_EQ(q.exit_code, 0) << q.err;
    auto rows = Lines(q.out);
    io::PackedStore store = io::PackedStore::Load(o + "/store.snpf");
    EXPECT_EQ(store.sample_ids(), ids);
    ASSERT_EQ(store.num_variants(), rows.size()) << input;
    ASSERT_GT(rows.size(), 10u);
    for (size_t j = 0; j < rows.size(); ++j) {
      std::istringstream in(rows[j]);
      std::string chrom, gt;
      int64_t pos;
      in >> chrom >> pos;
      EXPECT_EQ(store.sites()[j].chrom, chrom);
      EXPECT_EQ(store.sites()[j].pos, pos);
      for (size_t i = 0; i < ids.size(); ++i) {
        in >> gt;
        ASSERT_EQ(store.code(i, j), CodeOfGt(gt)) << input << " variant " << j << " sample " << i;
      }
    }
  }
}

// Ingest writes the counts (uint8 cells: no partition x class cell of this panel reaches 256
// samples) and no per-fold files: train and export derive those from the counts.
TEST_F(IngestTest, WritesCompactCountsAndNoPerFoldFiles) {
  TempDir out;
  std::filesystem::create_directories(out / "o/fold_1");
  WriteText(out / "o/fold_1/stats.npy", "stale");  // left by an older snpflow: must not survive
  auto r = RunSnpflow("ingest " + Sim("sim.bcf") + " --labels " + Panel() + " -q -o " + out / "o");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out / "o/fold_1"));
  for (int fold = 0; fold < 5; ++fold)
    EXPECT_FALSE(std::filesystem::exists(out / ("o/fold_" + std::to_string(fold)))) << fold;
  io::NpyArray counts = io::ReadNpy(out / "o/counts.npy");
  EXPECT_EQ(counts.dtype, "|u1");
  Dataset data = LoadDataset(out / "o");
  ASSERT_EQ(counts.shape[0], data.store.num_variants());
  ASSERT_EQ(counts.data.size(), data.counts.n_snps() * data.counts.stride());
  EXPECT_TRUE(data.counts.narrow());  // a "|u1" file is held as bytes
  std::vector<uint16_t> row(data.counts.stride());
  for (size_t j = 0; j < data.counts.n_snps(); ++j) {
    data.counts.Row(j, row.data());
    for (size_t k = 0; k < data.counts.stride(); ++k)
      ASSERT_EQ(row[k], counts.data[j * data.counts.stride() + k]) << j << " " << k;
  }
}

// Per-fold normalization stats and embedding (computed from the counts) equal a brute-force
// computation over the store and samples.tsv, and no test or validation sample contributes to a
// fold's statistics.
TEST_F(IngestTest, FoldStatsEqualBruteForceOverTrainSamplesOnly) {
  TempDir out;
  ASSERT_EQ(RunSnpflow("ingest " + Sim("sim.bcf") + " --labels " + Panel() + " -q -o " + out.path())
                .exit_code, 0);
  Dataset data = LoadDataset(out.path());
  const size_t n = data.samples.size(), s = data.store.num_variants(), c = data.samples.num_classes();
  for (int fold = 0; fold < 5; ++fold) {
    FoldStats fs = ComputeFoldStats(data.counts, fold);
    ASSERT_EQ(fs.mean.size(), s);
    ASSERT_EQ(fs.embedding.size(), s * 4 * c);
    std::vector<float> stats(2 * s);
    for (size_t j = 0; j < s; ++j) stats[2 * j] = fs.mean[j], stats[2 * j + 1] = fs.std[j];
    for (size_t j = 0; j < s; j += 7) {
      std::vector<double> hist(4 * c, 0), total(c, 0);
      double sum = 0, sum2 = 0, called = 0;
      for (size_t i = 0; i < n; ++i) {
        int p = data.samples.partition[i];
        if (p == fold || p == (fold + 1) % 5) continue;  // test and valid partitions
        int g = data.store.code(i, j), k = data.samples.label[i];
        hist[k * 4 + g] += 1;
        total[k] += 1;
        if (g != 3) sum += g, sum2 += g * g, called += 1;
      }
      double mean = sum / called, sd = std::sqrt(sum2 / called - mean * mean);
      if (sd < 1e-6) sd = 1;
      EXPECT_NEAR(stats[2 * j], mean, 1e-5);
      EXPECT_NEAR(stats[2 * j + 1], sd, 1e-4);
      for (size_t k = 0; k < 4 * c; ++k)
        EXPECT_NEAR(fs.embedding[j * 4 * c + k], total[k / 4] ? hist[k] / total[k / 4] : 0, 1e-6);
    }
  }
  // Leakage check: flip one test sample's genotypes in the counts' view by dropping it with -S;
  // fold 0's train statistics must not change when a fold-0 test sample is removed.
  std::string keep;
  size_t dropped = n;
  for (size_t i = 0; i < n; ++i) {
    if (dropped == n && data.samples.partition[i] == 0) { dropped = i; continue; }
    keep += data.samples.ids[i] + "\n";
  }
  WriteText(out / "keep.txt", keep);
  // Same partitions for the others: reuse them by checking sums per partition directly.
  GenotypeCounts& counts = data.counts;
  std::vector<uint16_t> row(counts.stride());
  for (size_t j = 0; j < s; j += 101) {
    uint64_t test_part = 0;
    counts.Row(j, row.data());
    for (size_t k = 0; k < c * 4; ++k) test_part += row[0 * c * 4 + k];
    uint64_t expected = 0;
    for (size_t i = 0; i < n; ++i) expected += data.samples.partition[i] == 0;
    EXPECT_EQ(test_part, expected);  // partition 0 counts hold exactly its samples
  }
  FoldStats f0 = ComputeFoldStats(counts, 0);
  // Zeroing partitions 0 and 1 (test, valid of fold 0) leaves fold 0's stats unchanged.
  GenotypeCounts masked(counts.folds(), counts.classes());
  for (size_t j = 0; j < s; ++j) {
    counts.Row(j, row.data());
    std::fill(row.begin(), row.begin() + 2 * c * 4, 0);
    masked.Append(row.data());
  }
  FoldStats m0 = ComputeFoldStats(masked, 0);
  EXPECT_EQ(f0.mean, m0.mean);
  EXPECT_EQ(f0.std, m0.std);
  EXPECT_EQ(f0.embedding, m0.embedding);
}

// A partition x class cell of 256 samples or more needs uint16 counts; smaller ones fit a byte.
TEST(WriteCounts, NarrowsCellsOnlyWhenEveryCellHoldsFewerThan256Samples) {
  TempDir out;
  for (uint16_t cell : {255, 256}) {
    GenotypeCounts counts(/*folds=*/2, /*classes=*/1);
    // Partition 0 holds `cell` samples, partition 1 holds 3.
    std::vector<uint16_t> row = {static_cast<uint16_t>(cell - 2), 1, 1, 0, 1, 1, 0, 1};
    counts.Append(row.data());
    row = {0, 0, 0, cell, 3, 0, 0, 0};
    counts.Append(row.data());
    io::WriteCounts(counts, out / "counts.npy");
    io::NpyArray npy = io::ReadNpy(out / "counts.npy");
    ASSERT_EQ(npy.shape, (std::vector<uint64_t>{2, 2, 1, 4}));
    if (cell == 255) {
      EXPECT_EQ(npy.dtype, "|u1");
      EXPECT_EQ(npy.data[0], 253);
      EXPECT_EQ(npy.data[11], 255);
    } else {
      EXPECT_EQ(npy.dtype, "<u2");
      EXPECT_EQ(npy.as<uint16_t>()[0], 254);
      EXPECT_EQ(npy.as<uint16_t>()[11], 256);
    }
  }
}

// Finalize writes store.snpf, variants.tsv and counts.npy at once: a failure of any one of them
// (here its final name is taken by a directory, so the rename fails) fails the ingest with exit
// 1 and that file's error, after the other writes have finished; no temp file and no manifest
// is left. With all three failing, one error is reported and nothing hangs.
TEST_F(IngestTest, AFailedOutputWriteFailsTheIngestAndLeavesNoTempFile) {
  const std::vector<std::vector<std::string>> cases = {
      {"store.snpf"}, {"variants.tsv"}, {"counts.npy"},
      {"store.snpf", "variants.tsv", "counts.npy"}};
  for (const auto& blocked : cases) {
    TempDir out;
    for (const auto& name : blocked) {
      std::filesystem::create_directories(out / (name + "/inside"));
      WriteText(out / (name + "/inside/keep.txt"), "the user's");
    }
    auto r = RunSnpflow("ingest " + Sim("sim.bcf") + " --labels " + Panel() + " -q -o " +
                        out.path());
    EXPECT_EQ(r.exit_code, 1) << blocked[0] << ": " << r.err;
    bool named = false;
    for (const auto& name : blocked)
      named |= r.err.find("' to '" + out / name + "': Is a directory") != std::string::npos;
    EXPECT_TRUE(named) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(std::filesystem::exists(out / "manifest.json"));
    for (const auto& entry : std::filesystem::recursive_directory_iterator(out.path()))
      EXPECT_EQ(entry.path().filename().string().find(".snpflow-tmp."), std::string::npos)
          << entry.path();
    for (const auto& name : blocked)
      EXPECT_EQ(ReadFile(out / (name + "/inside/keep.txt")), "the user's");
  }
}

TEST_F(IngestTest, FiltersDropByMafAndMissingRate) {
  TempDir out;
  auto r = RunSnpflow("ingest " + Sim("sim.bcf") + " --labels " + Panel() +
                      " -q --maf 0.2 --max-missing 0.015 -o " + out.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rows = Lines(ReadFile(out / "variants.tsv"));
  ASSERT_GT(rows.size(), 10u);
  for (size_t k = 1; k < rows.size(); ++k) {
    std::istringstream in(rows[k]);
    std::string chrom, pos, id, ref, alt;
    double maf, missing;
    in >> chrom >> pos >> id >> ref >> alt >> maf >> missing;
    EXPECT_GE(maf, 0.2);
    EXPECT_LE(missing, 0.015);
  }
  std::string summary = ReadFile(out / "ingest.json");
  EXPECT_NE(summary.find("\"maf\""), std::string::npos);
  EXPECT_NE(summary.find("\"missing-rate\""), std::string::npos);
}

// The store is the cache: a second run with the same input and options skips the VCF pass;
// another option, --force, or a newer input file redo it.
TEST_F(IngestTest, ReusesAMatchingIngestAndRedoesOtherwise) {
  TempDir out;
  std::string input = out / "in.bcf";
  ASSERT_EQ(RunShell("cp " + Sim("sim.bcf") + " " + input).exit_code, 0);
  std::string cmd = "ingest " + input + " --labels " + Panel() + " -o " + out / "o";
  auto first = RunSnpflow(cmd);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.err.find("reusing"), std::string::npos);
  auto stamp = std::filesystem::last_write_time(out / "o/store.snpf");
  std::string store = ReadFile(out / "o/store.snpf");

  auto again = RunSnpflow(cmd);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("[ingest] reusing"), std::string::npos) << again.err;
  EXPECT_EQ(std::filesystem::last_write_time(out / "o/store.snpf"), stamp);

  auto other = RunSnpflow(cmd + " --maf 0.3");
  ASSERT_EQ(other.exit_code, 0) << other.err;
  EXPECT_EQ(other.err.find("reusing"), std::string::npos) << other.err;
  EXPECT_NE(ReadFile(out / "o/store.snpf"), store);  // fewer variants now

  auto forced = RunSnpflow(cmd + " --maf 0.3 --force");
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_EQ(forced.err.find("reusing"), std::string::npos) << forced.err;

  std::filesystem::last_write_time(input, std::filesystem::file_time_type::clock::now());
  auto touched = RunSnpflow(cmd + " --maf 0.3");
  ASSERT_EQ(touched.exit_code, 0) << touched.err;
  EXPECT_EQ(touched.err.find("reusing"), std::string::npos) << touched.err;
}

}  // namespace
}  // namespace snpflow
