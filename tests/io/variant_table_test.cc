// variants.tsv: WriteVariantTable formats with std::to_chars; its bytes must stay those of the
// snprintf("%.6g") / std::to_string formatting it replaced.
#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "io/dataset.h"
#include "tests/fixtures/test_util.h"

namespace snpflow::io {
namespace {

using snpflow::testing::ReadFile;
using snpflow::testing::TempDir;

std::string Printf6g(double v) {
  char out[64];
  std::snprintf(out, sizeof out, "%.6g", v);
  return out;
}

std::string ToChars6g(double v) {
  char out[64];
  const auto r = std::to_chars(out, out + sizeof out, v, std::chars_format::general, 6);
  EXPECT_EQ(r.ec, std::errc());
  return std::string(out, r.ptr);
}

// The variants.tsv the snprintf-based writer produced (the reference for byte identity).
std::string ReferenceTable(const std::vector<SiteInfo>& sites, const GenotypeCounts& counts) {
  std::string out = "chrom\tpos\tid\tref\talt\tmaf\tmissing_rate\n";
  for (size_t j = 0; j < sites.size(); ++j) {
    uint64_t g[4] = {0, 0, 0, 0};
    for (size_t k = 0; k < counts.stride(); ++k) g[k % 4] += counts.of(j)[k];
    const uint64_t called = g[0] + g[1] + g[2], total = called + g[3];
    const double af = called ? (g[1] + 2.0 * g[2]) / (2.0 * called) : 0.0;
    char stats[64];
    std::snprintf(stats, sizeof stats, "\t%.6g\t%.6g\n", std::min(af, 1.0 - af),
                  total ? static_cast<double>(g[3]) / static_cast<double>(total) : 0.0);
    const SiteInfo& s = sites[j];
    out += s.chrom + '\t' + std::to_string(s.pos) + '\t' + (s.id.empty() ? "." : s.id) + '\t' +
           s.ref + '\t' + s.alt + stats;
  }
  return out;
}

// std::to_chars(general, 6) is specified as printf's %.6g; check it on this libstdc++ over the
// values variants.tsv holds (rates in [0, 1]) and far beyond: rounding and e/f switch points.
TEST(VariantTable, ToCharsGeneral6MatchesPrintf) {
  std::vector<double> values = {0.0, -0.0, 1.0, 0.5, 1e-5, 1e-4, 1e-6, 0.1, 0.3, 2.0 / 3,
                                1.0 / 3, 999999.0, 999999.5, 1e6, 1e15, 123456.5, 0.25,
                                std::numeric_limits<double>::min(),
                                std::numeric_limits<double>::max(),
                                std::numeric_limits<double>::denorm_min(), 5e-324, 1e-310};
  for (int e = -320; e <= 300; ++e) {
    const double p = std::pow(10.0, e);
    for (double m : {1.0, 9.999995, 9.9999949999, 9.99999500001, 1.000005, 1.0000049999,
                     5.5, 2.5, 1.234565, 3.14159265})
      for (double v : {m * p, std::nextafter(m * p, 0.0), std::nextafter(m * p, 2 * m * p)})
        values.push_back(v);
  }
  std::mt19937_64 rng(20261130);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int i = 0; i < 200000; ++i) values.push_back(unit(rng));
  for (int i = 0; i < 100000; ++i) {  // rates as ingest computes them: small ratios of counts
    const uint64_t total = 1 + rng() % 100000, part = rng() % (total + 1);
    values.push_back(static_cast<double>(part) / static_cast<double>(total));
    values.push_back((part + 2.0 * (rng() % (total + 1))) / (2.0 * total));
  }
  for (int i = 0; i < 100000; ++i) {  // any finite double, from random bits
    double v;
    const uint64_t bits = rng();
    std::memcpy(&v, &bits, sizeof v);
    if (std::isfinite(v)) values.push_back(v);
  }
  size_t mismatches = 0;
  for (double v : values) {
    const std::string want = Printf6g(v), got = ToChars6g(v);
    if (want != got && ++mismatches <= 10)
      ADD_FAILURE() << "to_chars " << got << " != printf " << want << " for " << std::hexfloat << v;
  }
  EXPECT_EQ(mismatches, 0u) << "of " << values.size();
}

// A table past the writer's 1 MiB flush size with every kind of row: monomorphic, all missing,
// empty ID, long alleles, extreme positions, random counts.
TEST(VariantTable, WriteVariantTableIsByteIdenticalToPrintfFormatting) {
  TempDir dir;
  GenotypeCounts counts(/*folds=*/3, /*classes=*/2);  // stride 24: 16 vectorized + 8 tail
  std::vector<SiteInfo> sites;
  std::mt19937_64 rng(7);
  std::vector<uint16_t> row(counts.stride());
  const auto add = [&](SiteInfo site) {
    sites.push_back(std::move(site));
    counts.Append(row.data());
  };
  std::fill(row.begin(), row.end(), 0);
  add({"1", 1, "", "A", "C"});  // no sample at all: maf and missing rate 0
  for (size_t k = 3; k < row.size(); k += 4) row[k] = 7;
  add({"1", 2, "rs2", "A", "G"});  // all missing
  std::fill(row.begin(), row.end(), 0);
  for (size_t k = 2; k < row.size(); k += 4) row[k] = 65535;
  add({"X", INT64_MAX, "rs3", std::string(300, 'A'), "T"});  // all hom-alt: maf 0
  for (size_t k = 0; k < row.size(); ++k) row[k] = static_cast<uint16_t>(k % 4 == 1 ? 40 : 0);
  add({"chrUn_gl000220", 1000000000000, ".", "G", std::string(77, 'C')});  // all het: maf 0.5
  for (int j = 0; j < 40000; ++j) {
    const uint16_t cap = static_cast<uint16_t>(j % 3 == 0 ? 3 : j % 3 == 1 ? 255 : 65535);
    for (auto& c : row) c = static_cast<uint16_t>(rng() % (cap + 1u));
    add({std::to_string(1 + j % 22), 1 + static_cast<int64_t>(rng() % 250000000),
         j % 5 ? "rs" + std::to_string(j) : "", "ACGT"[j % 4] + std::string(j % 3, 'T'),
         std::string(1, "TGCA"[j % 4])});
  }
  WriteVariantTable(sites, counts, dir / "variants.tsv");
  const std::string got = ReadFile(dir / "variants.tsv");
  const std::string want = ReferenceTable(sites, counts);
  ASSERT_GT(want.size(), size_t{1} << 20);
  ASSERT_EQ(got.size(), want.size());
  const size_t diff = std::mismatch(got.begin(), got.end(), want.begin()).first - got.begin();
  if (diff < got.size()) {
    const size_t line = diff == 0 ? 0 : want.rfind('\n', diff - 1) + 1;
    ADD_FAILURE() << "first difference at byte " << diff << ": got '"
                  << got.substr(line, got.find('\n', line) - line) << "', want '"
                  << want.substr(line, want.find('\n', line) - line) << "'";
  }
  EXPECT_NE(got.find("\nchrUn_gl000220\t1000000000000\t.\tG\t"), std::string::npos);
  EXPECT_NE(got.find("\t0.5\t0\n"), std::string::npos);
  EXPECT_NE(got.find("\nX\t9223372036854775807\trs3\t"), std::string::npos);
}

}  // namespace
}  // namespace snpflow::io
