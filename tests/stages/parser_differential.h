#pragma once
// Shared by the parser differential tests (vcf_fast_path_test.cc, bcf_raw_gt_test.cc): a VCF
// header and labels with every FORMAT type, and one ingest's outcome compared between parsers.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <typeinfo>

#include "pipeline/error.h"
#include "pipeline/registry.h"
#include "stages/ingest_runner.h"
#include "stages/register_builtin.h"
#include "tests/fixtures/test_util.h"

namespace snpflow::differential {

using testing::ReadFile;

inline const char* kHeader =
    "##fileformat=VCFv4.2\n"
    "##contig=<ID=1,length=100000000>\n"
    "##contig=<ID=2,length=100000000>\n"
    "##FILTER=<ID=q10,Description=\"Quality below 10\">\n"
    "##INFO=<ID=AF,Number=A,Type=Float,Description=\"Allele frequency\">\n"
    "##INFO=<ID=AC,Number=A,Type=Integer,Description=\"Allele count\">\n"
    "##INFO=<ID=DB,Number=0,Type=Flag,Description=\"dbSNP\">\n"
    "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n"
    "##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"Depth\">\n"
    "##FORMAT=<ID=GQ,Number=1,Type=Integer,Description=\"Genotype quality\">\n"
    "##FORMAT=<ID=GL,Number=G,Type=Float,Description=\"Likelihoods\">\n"
    "##FORMAT=<ID=FT,Number=1,Type=String,Description=\"Filter\">\n"
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\tC\tD\tE\tF\n";
inline const char* kLabels =
    "sample\tpop\tsuper_pop\tgender\nA\tX\tS\tm\nB\tY\tS\tf\nC\tX\tS\tm\nD\tY\tS\tf\n"
    "E\tX\tS\tm\nF\tY\tS\tf\n";

// Outcome of one ingest: the error (type and message) or the outputs' bytes and skip counts.
struct Outcome {
  std::string error;
  std::string store, variants, counts, skipped;
  uint64_t records = 0;
  uint64_t fallback = 0;
};

// Ingest `input` with --decode-gt.vcf-parser `parser` into `out_dir` (emptied first). With
// `htslib_record_by_record`, the htslib path reads one record per block (see below).
inline Outcome Ingest(const std::string& input, const std::string& parser,
                      const std::string& out_dir, const std::string& labels,
                      const std::string& samples_file = "", int threads = 1,
                      const OptionValues& decode = {}, const std::string& regions = "",
                      bool htslib_record_by_record = false) {
  static const StageRegistry registry = [] {
    StageRegistry r;
    RegisterBuiltinStages(r);
    return r;
  }();
  IngestSpec spec;
  spec.input.path = input;
  spec.input.samples_file = samples_file;
  spec.input.regions = regions;
  spec.labels_path = labels;
  spec.folds = 3;
  spec.threads = threads;
  spec.quiet = true;
  spec.reuse = false;
  spec.output_dir = out_dir;
  spec.options["decode-gt"] = decode;
  spec.options["decode-gt"]["vcf-parser"] = parser;
  if (parser == "htslib" && htslib_record_by_record) {
    // One record at a time: the serial source then meets errors in record order, as the fast
    // path (which reads a whole block before decoding it) reports them.
    spec.input.block_variants = 1;
    spec.max_blocks_in_flight = 1;
  }
  Outcome o;
  std::filesystem::remove_all(out_dir);
  try {
    IngestResult r = RunIngest(registry, spec);
    o.records = r.records;
    o.store = ReadFile(out_dir + "/store.snpf");
    o.variants = ReadFile(out_dir + "/variants.tsv");
    o.counts = ReadFile(out_dir + "/counts.npy");
    for (const auto& [reason, n] : r.skipped) o.skipped += reason + "=" + std::to_string(n) + " ";
    for (const auto& [name, n] : r.counted) o.skipped += name + "=" + std::to_string(n) + " ";
    std::string json = ReadFile(out_dir + "/ingest.json");
    size_t at = json.find("\"fallback_records\": ");
    if (at != std::string::npos) o.fallback = std::stoull(json.substr(at + 20));
  } catch (const Error& e) {
    o.error = std::string(typeid(e).name()) + ": " + e.what();
  }
  return o;
}

inline void ExpectSame(const Outcome& fast, const Outcome& htslib, const std::string& what) {
  EXPECT_EQ(fast.error, htslib.error) << what;
  EXPECT_EQ(fast.records, htslib.records) << what;
  EXPECT_EQ(fast.skipped, htslib.skipped) << what;
  EXPECT_TRUE(fast.store == htslib.store) << what << ": store.snpf differs";
  EXPECT_TRUE(fast.variants == htslib.variants) << what << ": variants.tsv differs";
  EXPECT_TRUE(fast.counts == htslib.counts) << what << ": counts.npy differs";
}

inline void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace snpflow::differential
