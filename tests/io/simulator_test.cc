#include "io/simulator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "io/atomic_file.h"
#include "pipeline/error.h"
#include "tests/fixtures/test_util.h"

namespace snpflow::io {
namespace {

using snpflow::testing::ReadFile;
using snpflow::testing::RunShell;
using snpflow::testing::RunSnpflow;
using snpflow::testing::TempDir;

std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, sep)) out.push_back(item);
  return out;
}

std::vector<std::string> Lines(const std::string& text) { return Split(text, '\n'); }

/// A parsed -O v output: sample ids and, per record, REF, ALT and the GT strings.
struct ParsedVcf {
  std::vector<std::string> samples;
  struct Record {
    std::string chrom, id, ref, alt;
    long pos = 0;
    std::vector<std::string> gt;
  };
  std::vector<Record> records;
};

ParsedVcf ParseVcf(const std::string& text) {
  ParsedVcf vcf;
  for (const auto& line : Lines(text)) {
    if (line.rfind("##", 0) == 0) continue;
    auto fields = Split(line, '\t');
    if (line.rfind("#CHROM", 0) == 0) {
      vcf.samples.assign(fields.begin() + 9, fields.end());
      continue;
    }
    ParsedVcf::Record r;
    r.chrom = fields[0];
    r.pos = std::stol(fields[1]);
    r.id = fields[2];
    r.ref = fields[3];
    r.alt = fields[4];
    EXPECT_EQ(fields[8], "GT");
    r.gt.assign(fields.begin() + 9, fields.end());
    vcf.records.push_back(std::move(r));
  }
  return vcf;
}

/// Panel rows as sample -> (pop, super_pop).
std::map<std::string, std::pair<std::string, std::string>> ReadPanel(const std::string& path) {
  std::map<std::string, std::pair<std::string, std::string>> panel;
  auto lines = Lines(ReadFile(path));
  EXPECT_EQ(lines.at(0), "sample\tpop\tsuper_pop\tgender");
  for (size_t i = 1; i < lines.size(); ++i) {
    auto f = Split(lines[i], '\t');
    EXPECT_EQ(f.size(), 4u) << lines[i];
    panel[f[0]] = {f[1], f[2]};
  }
  return panel;
}

SimulateOptions SmallOptions(const std::string& output, SimulateFormat format) {
  SimulateOptions o;
  o.output = output;
  o.format = format;
  o.samples = 60;
  o.snps = 200;
  return o;
}

TEST(PopulationSampleCounts, MatchesThousandGenomesCountsAtFullSize) {
  const auto& pops = SimulatedPopulations();
  ASSERT_EQ(pops.size(), 26u);
  std::vector<int> counts = PopulationSampleCounts(2504);
  for (size_t k = 0; k < pops.size(); ++k) EXPECT_EQ(counts[k], pops[k].weight) << pops[k].pop;
}

TEST(PopulationSampleCounts, GivesEveryPopulationOneSampleFrom26) {
  for (int samples : {26, 27, 100, 600, 3450}) {
    std::vector<int> counts = PopulationSampleCounts(samples);
    int total = 0;
    for (int c : counts) {
      EXPECT_GE(c, 1) << samples;
      total += c;
    }
    EXPECT_EQ(total, samples);
  }
  std::vector<int> few = PopulationSampleCounts(5);
  int total = 0;
  for (int c : few) total += c;
  EXPECT_EQ(total, 5);
}

TEST(DefaultPanelPath, StripsVcfExtensions) {
  EXPECT_EQ(DefaultPanelPath("a/sim.vcf.gz"), "a/sim.panel");
  EXPECT_EQ(DefaultPanelPath("sim.bcf"), "sim.panel");
  EXPECT_EQ(DefaultPanelPath("sim.vcf"), "sim.panel");
  EXPECT_EQ(DefaultPanelPath("sim"), "sim.panel");
}

TEST(Simulate, SameSeedGivesIdenticalBytesAndOtherSeedDiffers) {
  TempDir dir;
  for (const char* name : {"a.vcf", "b.vcf"}) {
    auto r = RunSnpflow("simulate -q -O v --samples 40 --snps 300 --seed 7 -o " + (dir / name));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  auto r = RunSnpflow("simulate -q -O v --samples 40 --snps 300 --seed 8 -o " + (dir / "c.vcf"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string a = ReadFile(dir / "a.vcf");
  EXPECT_TRUE(a == ReadFile(dir / "b.vcf"));
  EXPECT_EQ(ReadFile(dir / "a.panel"), ReadFile(dir / "b.panel"));
  EXPECT_NE(a, ReadFile(dir / "c.vcf"));
  ParsedVcf vcf = ParseVcf(a);
  ASSERT_EQ(vcf.samples.size(), 40u);
  EXPECT_EQ(vcf.samples.front(), "HG00001");
  EXPECT_EQ(vcf.samples.back(), "HG00040");
  ASSERT_EQ(vcf.records.size(), 300u);
  EXPECT_EQ(vcf.records.front().id, "rs1");
  EXPECT_EQ(vcf.records.back().id, "rs300");
  long last = 0;
  for (const auto& rec : vcf.records) {
    EXPECT_EQ(rec.chrom, "1");
    EXPECT_GT(rec.pos, last);  // sorted, no duplicate positions
    last = rec.pos;
    ASSERT_EQ(rec.ref.size(), 1u);
    ASSERT_EQ(rec.alt.size(), 1u);
    EXPECT_NE(rec.ref, rec.alt);
    EXPECT_NE(std::string("ACGT").find(rec.ref), std::string::npos);
    EXPECT_NE(std::string("ACGT").find(rec.alt), std::string::npos);
  }
}

TEST(Simulate, ThreadsDoNotChangeTheBytes) {
  TempDir dir;
  SimulateOptions one = SmallOptions(dir / "one.bcf", SimulateFormat::kBcf);
  SimulateOptions two = SmallOptions(dir / "two.bcf", SimulateFormat::kBcf);
  two.threads = 2;
  Simulate(one);
  Simulate(two);
  EXPECT_EQ(ReadFile(dir / "one.bcf"), ReadFile(dir / "two.bcf"));
  EXPECT_EQ(ReadFile(dir / "one.bcf.csi"), ReadFile(dir / "two.bcf.csi"));
}

TEST(Simulate, PanelHasEveryPopulationWithValidCodes) {
  TempDir dir;
  SimulateOptions o = SmallOptions(dir / "sim.vcf.gz", SimulateFormat::kVcfGz);
  o.samples = 600;
  o.snps = 10;
  SimulateSummary s = Simulate(o);
  EXPECT_EQ(s.samples, 600u);
  EXPECT_EQ(s.panel, dir / "sim.panel");
  auto lines = Lines(ReadFile(dir / "sim.panel"));
  ASSERT_EQ(lines.size(), 601u);
  std::map<std::string, std::string> super_of;
  for (const auto& p : SimulatedPopulations()) super_of[p.pop] = p.super_pop;
  std::set<std::string> pops_seen, supers_seen;
  for (size_t i = 1; i < lines.size(); ++i) {
    auto f = Split(lines[i], '\t');
    ASSERT_EQ(f.size(), 4u);
    char id[16];
    std::snprintf(id, sizeof id, "HG%05zu", i);
    EXPECT_EQ(f[0], id);
    ASSERT_TRUE(super_of.count(f[1])) << f[1];
    EXPECT_EQ(f[2], super_of[f[1]]);
    EXPECT_TRUE(f[3] == "male" || f[3] == "female") << f[3];
    pops_seen.insert(f[1]);
    supers_seen.insert(f[2]);
  }
  EXPECT_EQ(pops_seen.size(), 26u);
  EXPECT_EQ(supers_seen, (std::set<std::string>{"AFR", "AMR", "EAS", "EUR", "SAS"}));
}

TEST(Simulate, BcftoolsReadsCompressedOutputsAndTheirIndexes) {
  TempDir dir;
  // Without threads the index is built while writing, with threads after (htslib 1.16 bug).
  for (std::string threads : {"0", "2"})
    for (std::string format : {"z", "b"}) {
      SCOPED_TRACE("-O " + format + " --threads " + threads);
      std::string out = dir / ("sim" + threads + (format == "z" ? ".vcf.gz" : ".bcf"));
      auto r = RunSnpflow("simulate -q -O " + format + " --samples 30 --snps 900 --chroms 3 " +
                          "--threads " + threads + " -o " + out);
      ASSERT_EQ(r.exit_code, 0) << r.err;
      std::string index = out + (format == "z" ? ".tbi" : ".csi");
      EXPECT_TRUE(std::filesystem::exists(index)) << index;
      auto all = RunShell("bcftools view -H " + out + " | wc -l");
      ASSERT_EQ(all.exit_code, 0) << all.err;
      EXPECT_EQ(std::stoi(all.out), 900);
      // The index answers region queries: 300 records per chromosome.
      auto chr2 = RunShell("bcftools view -H -r 2 " + out + " | wc -l");
      ASSERT_EQ(chr2.exit_code, 0) << chr2.err;
      EXPECT_EQ(std::stoi(chr2.out), 300);
      EXPECT_EQ(chr2.err.find("older"), std::string::npos) << chr2.err;
      auto contigs = RunShell("bcftools view -h " + out + " | grep -c '^##contig'");
      EXPECT_EQ(std::stoi(contigs.out), 3);
    }
  // No temp files are left behind.
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    EXPECT_FALSE(io::IsTempFileName(entry.path().filename().string())) << entry.path();
}

TEST(Simulate, SymlinksPlantedAtTheOutputsAreReplacedNotWrittenThrough) {
  TempDir dir, outside;
  const std::string victim = outside / "victim.txt";
  std::ofstream(victim) << "precious";
  const std::string out = dir / "sim.vcf.gz";
  for (const std::string& name : {out, out + ".tbi", dir / "sim.panel"})
    std::filesystem::create_symlink(victim, name);
  auto r = RunSnpflow("simulate -q --samples 10 --snps 20 -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(victim), "precious");
  for (const std::string& name : {out, out + ".tbi", dir / "sim.panel"})
    EXPECT_FALSE(std::filesystem::is_symlink(name)) << name;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    EXPECT_FALSE(io::IsTempFileName(entry.path().filename().string())) << entry.path();
}

TEST(Simulate, BiallelicGenotypesAreDiploidUnphased) {
  TempDir dir;
  std::string out = dir / "sim.bcf";
  auto r = RunSnpflow("simulate -q -O b --samples 50 --snps 400 --missing-rate 0.05 -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto q = RunShell("bcftools query -f '[%GT\\t]\\n' " + out);
  ASSERT_EQ(q.exit_code, 0) << q.err;
  std::map<std::string, int> counts;
  for (const auto& line : Lines(q.out))
    for (const auto& gt : Split(line, '\t')) ++counts[gt];
  std::set<std::string> kinds;
  for (const auto& [gt, n] : counts) kinds.insert(gt);
  EXPECT_EQ(kinds, (std::set<std::string>{"0/0", "0/1", "1/1", "./."}));
  double missing = counts["./."] / (50.0 * 400.0);
  EXPECT_NEAR(missing, 0.05, 0.01);
}

TEST(Simulate, MultiallelicAndIndelRecordsAppearAtTheirRates) {
  TempDir dir;
  std::string out = dir / "sim.vcf.gz";
  auto r = RunSnpflow(
      "simulate -q --samples 40 --snps 2000 "
      "--multiallelic-rate 0.2 --indel-rate 0.1 -o " +
      out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto q = RunShell("bcftools query -f '%REF\\t%ALT[\\t%GT]\\n' " + out);
  ASSERT_EQ(q.exit_code, 0) << q.err;
  int multi = 0, indel = 0, snp = 0, second_alt_gts = 0;
  for (const auto& line : Lines(q.out)) {
    auto f = Split(line, '\t');
    const std::string& ref = f[0];
    const std::string& alt = f[1];
    ASSERT_EQ(ref.size(), 1u);
    if (alt.find(',') != std::string::npos) {
      ++multi;
      ASSERT_EQ(alt.size(), 3u);
      EXPECT_NE(alt[0], alt[2]);
      EXPECT_NE(alt[0], ref[0]);
      EXPECT_NE(alt[2], ref[0]);
      for (size_t i = 2; i < f.size(); ++i) second_alt_gts += f[i].find('2') != std::string::npos;
    } else if (alt.size() == 2) {
      ++indel;
      EXPECT_EQ(alt[0], ref[0]);
    } else {
      ++snp;
      for (size_t i = 2; i < f.size(); ++i) EXPECT_EQ(f[i].find('2'), std::string::npos);
    }
  }
  EXPECT_EQ(multi + indel + snp, 2000);
  // Binomial(2000, p): five standard deviations either side.
  EXPECT_NEAR(multi, 400, 90);
  EXPECT_NEAR(indel, 200, 67);
  EXPECT_GT(second_alt_gts, 0);
  auto types = RunShell("bcftools view -H -v indels " + out + " | wc -l");
  EXPECT_EQ(std::stoi(types.out), indel);
}

/// Fst-like ratios of allele-frequency variance among groups to p(1-p), pooled over records.
struct FstEstimate {
  double among_super = 0;
  double within_super = 0;
};

FstEstimate EstimateFst(const ParsedVcf& vcf,
                        const std::map<std::string, std::pair<std::string, std::string>>& panel) {
  std::map<std::string, std::string> super_of_pop;  // from the panel: generic ones too
  for (const auto& [sample, p] : panel) super_of_pop[p.first] = p.second;
  std::vector<std::string> pop_of, super_of;
  for (const auto& s : vcf.samples) {
    pop_of.push_back(panel.at(s).first);
    super_of.push_back(panel.at(s).second);
  }
  double among_num = 0, among_den = 0, within_num = 0, within_den = 0;
  for (const auto& rec : vcf.records) {
    // (ALT alleles, called alleles) per population and per super-population.
    std::map<std::string, std::pair<double, double>> pop_counts, super_counts;
    for (size_t i = 0; i < rec.gt.size(); ++i) {
      const std::string& gt = rec.gt[i];
      if (gt == "./.") continue;
      double alt = (gt[0] == '1') + (gt[2] == '1');
      pop_counts[pop_of[i]].first += alt;
      pop_counts[pop_of[i]].second += 2;
      super_counts[super_of[i]].first += alt;
      super_counts[super_of[i]].second += 2;
    }
    // Sample variance of group frequencies around their mean, over mean * (1 - mean).
    auto accumulate = [](const std::vector<double>& f, double& num, double& den) {
      double mean = 0;
      for (double x : f) mean += x;
      mean /= f.size();
      double var = 0;
      for (double x : f) var += (x - mean) * (x - mean);
      num += var / (f.size() - 1);
      den += mean * (1 - mean);
    };
    std::vector<double> supers;
    for (const auto& [name, c] : super_counts) supers.push_back(c.first / c.second);
    accumulate(supers, among_num, among_den);
    std::map<std::string, std::vector<double>> pops_by_super;
    for (const auto& [pop, c] : pop_counts)
      pops_by_super[super_of_pop.at(pop)].push_back(c.first / c.second);
    for (const auto& [super_name, pops] : pops_by_super) accumulate(pops, within_num, within_den);
  }
  return {among_num / among_den, within_num / within_den};
}

TEST(Simulate, SuperPopulationsDifferMoreThanPopulationsWithinThem) {
  TempDir dir;
  SimulateOptions o = SmallOptions(dir / "sim.vcf", SimulateFormat::kVcf);
  o.samples = 1200;
  o.snps = 400;
  o.missing_rate = 0;
  Simulate(o);
  FstEstimate fst = EstimateFst(ParseVcf(ReadFile(dir / "sim.vcf")), ReadPanel(dir / "sim.panel"));
  // Expected: ~0.1 among super-populations; within, 0.01 plus the sampling noise of ~46 samples
  // per population (about 1 / (2 * 46)).
  EXPECT_GT(fst.among_super, 0.06);
  EXPECT_LT(fst.among_super, 0.15);
  EXPECT_LT(fst.within_super, 0.04);
  EXPECT_GT(fst.among_super, 3 * fst.within_super);

  // Without drift the groups differ only by sampling noise.
  o.fst_super = 0;
  o.fst_pop = 0;
  Simulate(o);
  FstEstimate flat = EstimateFst(ParseVcf(ReadFile(dir / "sim.vcf")), ReadPanel(dir / "sim.panel"));
  EXPECT_LT(flat.among_super, 0.01);
  EXPECT_LT(flat.within_super, 0.02);
}

TEST(PlanPopulations, GenericPopulationsShareSamplesEvenlyInConsecutiveSuperPopulations) {
  SimulateOptions o;
  o.samples = 30;
  o.populations = 7;
  std::vector<PopulationPlan> plan = PlanPopulations(o);
  ASSERT_EQ(plan.size(), 7u);
  std::vector<std::string> names, supers;
  std::vector<int> counts;
  for (const auto& p : plan) {
    names.push_back(p.pop);
    supers.push_back(p.super_pop);
    counts.push_back(p.samples);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"P1", "P2", "P3", "P4", "P5", "P6", "P7"}));
  // Default K for N = 7 is 2 (N / 5 rounded, at least 2): populations p * K / N.
  EXPECT_EQ(supers, (std::vector<std::string>{"S1", "S1", "S1", "S1", "S2", "S2", "S2"}));
  EXPECT_EQ(counts, (std::vector<int>{5, 5, 4, 4, 4, 4, 4}));

  o.populations = 12;
  o.super_populations = 3;
  plan = PlanPopulations(o);
  EXPECT_EQ(plan.front().pop, "P01");  // zero-padded so that sorted labels keep their order
  EXPECT_EQ(plan.back().pop, "P12");
  EXPECT_EQ(plan[3].super_pop, "S1");
  EXPECT_EQ(plan[4].super_pop, "S2");
  EXPECT_EQ(plan[11].super_pop, "S3");
}

TEST(PlanPopulations, UnevenSizesAreDrawnFromTheSeedWithinBounds) {
  SimulateOptions o;
  o.samples = 0;
  o.populations = 40;
  o.min_per_pop = 3;
  o.max_per_pop = 50;
  o.seed = 11;
  auto sizes = [](const std::vector<PopulationPlan>& plan) {
    std::vector<int> v;
    for (const auto& p : plan) v.push_back(p.samples);
    return v;
  };
  std::vector<int> a = sizes(PlanPopulations(o));
  EXPECT_EQ(a, sizes(PlanPopulations(o)));
  ASSERT_EQ(a.size(), 40u);
  EXPECT_EQ(*std::min_element(a.begin(), a.end()) >= 3, true);
  EXPECT_LE(*std::max_element(a.begin(), a.end()), 50);
  EXPECT_LE(*std::min_element(a.begin(), a.end()), 10);   // 40 draws from [3, 50]: some small
  EXPECT_GE(*std::max_element(a.begin(), a.end()), 40);   // and some large
  o.seed = 12;
  EXPECT_NE(a, sizes(PlanPopulations(o)));
  // The 26 populations of 1000 Genomes take drawn sizes too.
  o.populations = 0;
  std::vector<PopulationPlan> kg = PlanPopulations(o);
  ASSERT_EQ(kg.size(), 26u);
  EXPECT_EQ(kg.front().pop, "YRI");
  for (const auto& p : kg) EXPECT_TRUE(p.samples >= 3 && p.samples <= 50) << p.pop;
}

TEST(Simulate, UnevenGenericPopulationsAreDeterministicAndMatchThePlan) {
  TempDir dir;
  SimulateOptions o = SmallOptions(dir / "a.vcf", SimulateFormat::kVcf);
  o.samples = 0;
  o.populations = 9;
  o.super_populations = 3;
  o.min_per_pop = 2;
  o.max_per_pop = 9;
  o.seed = 5;
  std::vector<PopulationPlan> plan = PlanPopulations(o);
  SimulateSummary s = Simulate(o);
  int total = 0;
  for (const auto& p : plan) total += p.samples;
  EXPECT_EQ(s.samples, static_cast<size_t>(total));
  std::map<std::string, int> per_pop;
  for (const auto& [sample, p] : ReadPanel(dir / "a.panel")) {
    ++per_pop[p.first];
    EXPECT_EQ(p.second, "S" + std::to_string((std::stoi(p.first.substr(1)) - 1) / 3 + 1))
        << p.first;
  }
  for (const auto& p : plan) EXPECT_EQ(per_pop[p.pop], p.samples) << p.pop;
  EXPECT_EQ(ParseVcf(ReadFile(dir / "a.vcf")).samples.size(), static_cast<size_t>(total));
  EXPECT_NE(ReadFile(dir / "a.vcf").find("populations=9,super_populations=3"),
            std::string::npos);

  o.output = dir / "b.vcf";
  Simulate(o);
  EXPECT_TRUE(ReadFile(dir / "a.vcf") == ReadFile(dir / "b.vcf"));
  EXPECT_EQ(ReadFile(dir / "a.panel"), ReadFile(dir / "b.panel"));
  o.output = dir / "c.vcf";
  o.seed = 6;
  Simulate(o);
  EXPECT_NE(ReadFile(dir / "a.panel"), ReadFile(dir / "c.panel"));
}

TEST(Simulate, LowFstKnobsWorkWithGenericPopulations) {
  TempDir dir;
  SimulateOptions o = SmallOptions(dir / "sim.vcf", SimulateFormat::kVcf);
  o.samples = 0;
  o.populations = 12;
  o.super_populations = 3;
  o.min_per_pop = 40;
  o.max_per_pop = 80;
  o.snps = 400;
  o.missing_rate = 0;
  o.fst_super = 0.1;
  o.fst_pop = 0.05;
  Simulate(o);
  FstEstimate high = EstimateFst(ParseVcf(ReadFile(dir / "sim.vcf")), ReadPanel(dir / "sim.panel"));
  o.fst_super = 0.01;
  o.fst_pop = 0.002;
  Simulate(o);
  FstEstimate low = EstimateFst(ParseVcf(ReadFile(dir / "sim.vcf")), ReadPanel(dir / "sim.panel"));
  // Within super-populations: 0.05 vs 0.002 plus sampling noise of ~60 samples (~0.008).
  EXPECT_GT(high.within_super, 0.035);
  EXPECT_LT(low.within_super, 0.02);
  EXPECT_GT(high.among_super, 3 * low.among_super);
}

TEST(Simulate, RejectsBadPopulationOptions) {
  TempDir dir;
  auto message = [&](SimulateOptions o) -> std::string {
    o.output = dir / "x.vcf";
    o.format = SimulateFormat::kVcf;
    try {
      Simulate(o);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "no error";
  };
  SimulateOptions o;
  o.populations = 1;
  EXPECT_NE(message(o).find("--populations must be between 2"), std::string::npos) << message(o);
  o.populations = 5;
  o.super_populations = 6;
  EXPECT_NE(message(o).find("--super-populations must be between 1 and"), std::string::npos);
  o = SimulateOptions();
  o.super_populations = 2;
  EXPECT_NE(message(o).find("--super-populations needs --populations"), std::string::npos);
  o = SimulateOptions();
  o.samples = 0;
  o.min_per_pop = 9;
  o.max_per_pop = 3;
  EXPECT_NE(message(o).find("--min-per-pop 9 is larger than --max-per-pop 3"), std::string::npos);
  o.max_per_pop = 0;
  EXPECT_NE(message(o).find("go together"), std::string::npos) << message(o);
  o = SimulateOptions();
  o.min_per_pop = 3;
  o.max_per_pop = 9;  // samples is still 600
  EXPECT_NE(message(o).find("conflicts with --min-per-pop"), std::string::npos) << message(o);
  EXPECT_FALSE(std::filesystem::exists(dir / "x.vcf"));

  auto both = RunSnpflow("simulate -q --samples 50 --min-per-pop 2 --max-per-pop 4 -o " +
                         (dir / "y.vcf"));
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find("drop --samples"), std::string::npos) << both.err;
  auto ok = RunSnpflow("simulate -q -O v --populations 4 --min-per-pop 2 --max-per-pop 4 "
                       "--snps 5 -o " + (dir / "z.vcf"));
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ReadPanel(dir / "z.panel").size(),
            ParseVcf(ReadFile(dir / "z.vcf")).samples.size());
}

TEST(Simulate, WritesVcfToStdout) {
  TempDir dir;
  auto r = RunSnpflow("simulate -q -O v --samples 10 --snps 20 -o - --panel " + (dir / "p.panel"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ParsedVcf vcf = ParseVcf(r.out);
  EXPECT_EQ(vcf.samples.size(), 10u);
  EXPECT_EQ(vcf.records.size(), 20u);
  EXPECT_EQ(Lines(ReadFile(dir / "p.panel")).size(), 11u);
}

TEST(Simulate, RejectsBadOptionsNamingTheOption) {
  TempDir dir;
  SimulateOptions o = SmallOptions(dir / "x.vcf", SimulateFormat::kVcf);
  o.fst_super = 1.0;
  EXPECT_THROW(
      {
        try {
          Simulate(o);
        } catch (const ConfigError& e) {
          EXPECT_NE(std::string(e.what()).find("--fst-super"), std::string::npos) << e.what();
          throw;
        }
      },
      ConfigError);
  o = SmallOptions(dir / "x.vcf", SimulateFormat::kVcf);
  o.missing_rate = -0.1;
  EXPECT_THROW(Simulate(o), ConfigError);
  o = SmallOptions(dir / "x.vcf", SimulateFormat::kVcf);
  o.chroms = 23;
  EXPECT_THROW(Simulate(o), ConfigError);
  EXPECT_THROW(ParseSimulateFormat("u"), ConfigError);
  EXPECT_FALSE(std::filesystem::exists(dir / "x.vcf"));
}

TEST(Simulate, UnwritableOutputThrowsInputErrorAndLeavesNothing) {
  TempDir dir;
  SimulateOptions o = SmallOptions(dir / "missing-dir/x.bcf", SimulateFormat::kBcf);
  try {
    Simulate(o);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("missing-dir' does not exist"), std::string::npos)
        << e.what();
  }
  // A file in place of the output's directory fails inside htslib instead.
  WriteFileAtomic(dir / "file", "x");
  o.output = dir / "file/x.bcf";
  o.panel = dir / "x.panel";
  EXPECT_THROW(Simulate(o), InputError);
  std::vector<std::string> left;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    left.push_back(entry.path().filename());
  EXPECT_EQ(left, std::vector<std::string>{"file"});
}

TEST(Simulate, CompressionLevelChangesSizeNotContent) {
  TempDir dir;
  SimulateOptions fast = SmallOptions(dir / "fast.vcf.gz", SimulateFormat::kVcfGz);
  SimulateOptions small = SmallOptions(dir / "small.vcf.gz", SimulateFormat::kVcfGz);
  fast.compression_level = 1;
  small.compression_level = 9;
  Simulate(fast);
  Simulate(small);
  EXPECT_LT(std::filesystem::file_size(dir / "small.vcf.gz"),
            std::filesystem::file_size(dir / "fast.vcf.gz"));
  auto a = RunShell("bcftools view --no-version " + (dir / "fast.vcf.gz"));
  auto b = RunShell("bcftools view --no-version " + (dir / "small.vcf.gz"));
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_TRUE(a.out == b.out);  // not EXPECT_EQ: a mismatch would print both files
  small.compression_level = 10;
  EXPECT_THROW(Simulate(small), ConfigError);
}

TEST(SimulateCommand, HelpAndUsageErrors) {
  auto help = RunSnpflow("simulate --help");
  EXPECT_EQ(help.exit_code, 0);
  for (const char* opt : {"--samples", "--snps", "--fst-super", "--fst-pop", "--missing-rate",
                          "--multiallelic-rate", "--indel-rate", "--seed", "--chroms", "--panel",
                          "--threads", "--compression-level", "--no-index", "-O", "-q"})
    EXPECT_NE(help.out.find(opt), std::string::npos) << opt;

  auto no_output = RunSnpflow("simulate --samples 10");
  EXPECT_EQ(no_output.exit_code, 2);
  EXPECT_NE(no_output.err.find("-o PATH"), std::string::npos) << no_output.err;
  auto bad_type = RunSnpflow("simulate -O u -o x.vcf");
  EXPECT_EQ(bad_type.exit_code, 2);
  EXPECT_NE(bad_type.err.find("-O"), std::string::npos) << bad_type.err;
  auto unknown = RunSnpflow("simulate --sample 10 -o x.vcf");
  EXPECT_EQ(unknown.exit_code, 2);
  auto bad_value = RunSnpflow("simulate --snps many -o x.vcf");
  EXPECT_EQ(bad_value.exit_code, 2);
  TempDir dir;
  auto bad_rate = RunSnpflow("simulate --missing-rate 2 -o " + (dir / "x.vcf"));
  EXPECT_EQ(bad_rate.exit_code, 2);
  EXPECT_NE(bad_rate.err.find("--missing-rate: 2 is out of range; allowed: [0, 1]"),
            std::string::npos)
      << bad_rate.err;
}

TEST(SimulateCommand, ReportsProgressUnlessQuiet) {
  TempDir dir;
  auto r = RunSnpflow("simulate --samples 10 --snps 50 -o " + (dir / "s.bcf") + " -O b");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("wrote 10 samples x 50 records"), std::string::npos) << r.err;
  auto q = RunSnpflow("simulate -q --samples 10 --snps 50 -o " + (dir / "t.bcf") + " -O b");
  ASSERT_EQ(q.exit_code, 0) << q.err;
  EXPECT_EQ(q.err, "");
}

}  // namespace
}  // namespace snpflow::io
