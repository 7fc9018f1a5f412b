#include "io/simulator.h"

#include <fcntl.h>
#include <htslib/hts.h>
#include <htslib/vcf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <sstream>

#include "io/atomic_file.h"
#include "pipeline/error.h"

namespace snpflow::io {
namespace {

constexpr int kMaxChroms = 22;
// GRCh37 lengths of chromosomes 1..22, declared as ##contig lines.
constexpr std::array<int64_t, kMaxChroms> kChromLengths = {
    249250621, 243199373, 198022430, 191154276, 180915260, 171115067, 159138663, 146364022,
    141213431, 135534747, 135006516, 133851895, 115169878, 107349540, 102531392, 90354753,
    81195210,  78077248,  59128983,  63025520,  48129895,  51304566};
// Ancestral frequencies are drawn from Uniform(kMinAncestralFreq, 1 - kMinAncestralFreq).
constexpr double kMinAncestralFreq = 0.05;
// A parent frequency is kept this far from 0 and 1 so the child's Beta parameters stay positive.
constexpr double kFreqClamp = 1e-6;
// CSI bin size of BCF indexes (htslib's default).
constexpr int kCsiMinShift = 14;
// Check the clock for progress once per this many records.
constexpr size_t kProgressStride = 256;
// Seed offset of the sample-layout generator: layout and genotypes use separate streams.
constexpr uint64_t kLayoutStream = 0x9e3779b97f4a7c15ULL;
// Seed offset of the population-size draws (--min-per-pop/--max-per-pop): a third stream, so the
// default layout's bytes do not change.
constexpr uint64_t kSizeStream = 0xc2b2ae3d27d4eb4fULL;
// At most this many generic populations (--populations).
constexpr int kMaxPopulations = 10000;

/// std::mt19937_64 plus distributions written out here: the std:: distributions are
/// implementation-defined, and the output must be the same everywhere for a seed.
class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}

  uint64_t Bits() { return engine_(); }
  /// Uniform on [0, 1) with 53 random bits.
  double Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  /// Uniform on (0, 1).
  double UniformOpen() { return (static_cast<double>(engine_() >> 11) + 0.5) * 0x1.0p-53; }
  /// Uniform integer in [0, n); the modulo bias is irrelevant for n this small.
  uint64_t Below(uint64_t n) { return engine_() % n; }

  /// Standard normal by the Marsaglia polar method.
  double Normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u, v, s;
    do {
      u = 2.0 * Uniform() - 1.0;
      v = 2.0 * Uniform() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double m = std::sqrt(-2.0 * std::log(s) / s);
    spare_ = v * m;
    has_spare_ = true;
    return u * m;
  }

  /// Gamma(shape, 1) by Marsaglia and Tsang (2000); shape < 1 via Gamma(shape + 1) * U^(1/shape).
  double Gamma(double shape) {
    if (shape < 1.0) return Gamma(shape + 1.0) * std::pow(UniformOpen(), 1.0 / shape);
    const double d = shape - 1.0 / 3.0;
    const double c = 1.0 / std::sqrt(9.0 * d);
    for (;;) {
      double x, v;
      do {
        x = Normal();
        v = 1.0 + c * x;
      } while (v <= 0.0);
      v = v * v * v;
      double u = UniformOpen();
      if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
      if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
    }
  }

  /// Beta(a, b) as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b).
  double Beta(double a, double b) {
    double x = Gamma(a), y = Gamma(b);
    if (x + y <= 0.0) return a / (a + b);  // both underflowed: tiny shapes
    return x / (x + y);
  }

 private:
  std::mt19937_64 engine_;
  double spare_ = 0;
  bool has_spare_ = false;
};

/// Return the threshold t with P(Bits() < t) = p.
uint64_t BernoulliThreshold(double p) {
  if (p <= 0.0) return 0;
  if (p >= 1.0) return UINT64_MAX;
  return static_cast<uint64_t>(std::ldexp(p, 64));
}

/// Return the threshold t with P(32 random bits < t) = p, exact at p = 0 and p = 1.
uint64_t AlleleThreshold(double p) {
  return static_cast<uint64_t>(std::ldexp(std::clamp(p, 0.0, 1.0), 32));
}

/// Draw a Balding-Nichols child frequency from `parent` with fixation index `fst`.
double ChildFrequency(Rng& rng, double parent, double fst) {
  if (fst <= 0.0) return parent;
  double p = std::clamp(parent, kFreqClamp, 1.0 - kFreqClamp);
  double scale = (1.0 - fst) / fst;
  return rng.Beta(p * scale, (1.0 - p) * scale);
}

void CheckRate(double value, const char* name) {
  if (!(value >= 0.0 && value <= 1.0))
    throw ConfigError(std::string("--") + name + " must be between 0 and 1, got " +
                      std::to_string(value));
}

void CheckFst(double value, const char* name) {
  if (!(value >= 0.0 && value < 1.0))
    throw ConfigError(std::string("--") + name + " must be in [0, 1), got " +
                      std::to_string(value) + "; typical values are 0.001-0.2");
}

void Validate(const SimulateOptions& o) {
  if (o.output.empty())
    throw ConfigError("simulate: no output path; set -o PATH (or -o - for stdout)");
  const bool drawn_sizes = o.min_per_pop > 0 || o.max_per_pop > 0;
  if (drawn_sizes && o.samples != 0)
    throw ConfigError("--samples " + std::to_string(o.samples) +
                      " conflicts with --min-per-pop/--max-per-pop (the total is the sum of the "
                      "drawn population sizes); drop one of them");
  if (!drawn_sizes && o.samples < 1)
    throw ConfigError("--samples must be at least 1, got " + std::to_string(o.samples));
  if (o.snps < 0) throw ConfigError("--snps must not be negative, got " + std::to_string(o.snps));
  if (o.chroms < 1 || o.chroms > kMaxChroms)
    throw ConfigError("--chroms must be between 1 and 22, got " + std::to_string(o.chroms));
  if (o.threads < 0) throw ConfigError("--threads must not be negative");
  if (o.compression_level < 0 || o.compression_level > 9)
    throw ConfigError("--compression-level must be between 0 and 9, got " +
                      std::to_string(o.compression_level));
  CheckFst(o.fst_super, "fst-super");
  CheckFst(o.fst_pop, "fst-pop");
  CheckRate(o.missing_rate, "missing-rate");
  CheckRate(o.multiallelic_rate, "multiallelic-rate");
  CheckRate(o.indel_rate, "indel-rate");
  if (o.multiallelic_rate + o.indel_rate > 1.0)
    throw ConfigError("--multiallelic-rate plus --indel-rate must not exceed 1");
  for (int c = 0; c < o.chroms; ++c) {
    int64_t n = o.snps * (c + 1) / o.chroms - o.snps * c / o.chroms;
    if (n > kChromLengths[c])
      throw ConfigError("--snps " + std::to_string(o.snps) + " does not fit on chromosome " +
                        std::to_string(c + 1) + "; raise --chroms");
  }
  if (o.output == "-" && o.panel.empty())
    throw ConfigError("simulate: writing to stdout (-o -) needs --panel PATH");
  for (const std::string& path : {o.output, o.panel}) {
    if (path.empty() || path == "-") continue;
    std::filesystem::path dir = std::filesystem::path(path).parent_path();
    if (!dir.empty() && !std::filesystem::is_directory(dir))
      throw InputError("cannot write '" + path + "': directory '" + dir.string() +
                       "' does not exist; create it first");
  }
}

/// Split `samples` in proportion to `weights` by largest remainder, after giving each `floor_each`
/// (ties to the earlier population), in exact integer arithmetic.
std::vector<int> LargestRemainder(int samples, const std::vector<int64_t>& weights,
                                  int floor_each) {
  const int n = static_cast<int>(weights.size());
  std::vector<int> counts(n, 0);
  if (samples <= 0) return counts;
  const int rest = samples - floor_each * n;
  int64_t total_weight = 0;
  for (int64_t w : weights) total_weight += w;
  std::vector<std::pair<int64_t, int>> remainders;
  int given = 0;
  for (int k = 0; k < n; ++k) {
    const int64_t num = static_cast<int64_t>(rest) * weights[k];
    counts[k] = floor_each + static_cast<int>(num / total_weight);
    given += static_cast<int>(num / total_weight);
    remainders.push_back({num % total_weight, k});
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (int i = 0; i < rest - given; ++i) ++counts[remainders[i].second];
  return counts;
}

/// "P07" for population 6 of 10..99, zero-padded to the width of `n`.
std::string NumberedName(const char* prefix, int index, int n) {
  const int width = static_cast<int>(std::to_string(n).size());
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%0*d", prefix, width, index + 1);
  return buf;
}

/// The population and sex of each sample: a seeded shuffle of the per-population counts.
struct SampleLayout {
  std::vector<uint16_t> pop;  // index into the population plan
  std::vector<uint8_t> male;
};

SampleLayout MakeLayout(const std::vector<PopulationPlan>& plan, uint64_t seed) {
  SampleLayout layout;
  for (size_t k = 0; k < plan.size(); ++k)
    layout.pop.insert(layout.pop.end(), plan[k].samples, static_cast<uint16_t>(k));
  Rng rng(seed ^ kLayoutStream);
  for (size_t i = layout.pop.size(); i > 1; --i)
    std::swap(layout.pop[i - 1], layout.pop[rng.Below(i)]);
  layout.male.resize(layout.pop.size());
  for (auto& m : layout.male) m = static_cast<uint8_t>(rng.Bits() >> 63);
  return layout;
}

std::string SampleId(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "HG%05d", i + 1);
  return buf;
}

/// Return the ##source line and a line recording the model parameters.
std::vector<std::string> SourceLines(const SimulateOptions& o) {
  std::ostringstream s;
  s << "##snpflow_simulate=<samples=" << o.samples << ",snps=" << o.snps
    << ",fst_super=" << o.fst_super << ",fst_pop=" << o.fst_pop
    << ",missing_rate=" << o.missing_rate << ",multiallelic_rate=" << o.multiallelic_rate
    << ",indel_rate=" << o.indel_rate << ",seed=" << o.seed << ",chroms=" << o.chroms << ">";
  if (o.populations != 0 || o.min_per_pop != 0 || o.max_per_pop != 0) {
    // Only when set, so that the default header (and file) keeps its bytes.
    std::string line = s.str();
    line.pop_back();
    line += ",populations=" + std::to_string(o.populations) +
            ",super_populations=" + std::to_string(o.super_populations) +
            ",min_per_pop=" + std::to_string(o.min_per_pop) +
            ",max_per_pop=" + std::to_string(o.max_per_pop) + ">";
    return {"##source=snpflow simulate (hierarchical Balding-Nichols, " +
                std::to_string(o.populations == 0 ? 26 : o.populations) + " populations)",
            line};
  }
  return {"##source=snpflow simulate (hierarchical Balding-Nichols, 26 populations)", s.str()};
}

/// One drawn site: where it is and its alleles (its frequencies stay inside SiteModel).
struct Site {
  int64_t pos0 = 0;     // 0-based position
  std::string alleles;  // "A,G", "A,G,T" or "A,AC", as bcf_update_alleles_str takes them
  bool multiallelic = false;
  bool indel = false;
};

/// The Balding-Nichols model: draws one site at a time, then its genotypes. All randomness of the
/// records comes from one generator in a fixed order, so the output depends only on the options.
class SiteModel {
 public:
  /// `options` and `layout` must outlive the model.
  SiteModel(const SimulateOptions& options, const std::vector<PopulationPlan>& pops,
            const SampleLayout& layout)
      : options_(options), layout_(layout), rng_(options.seed) {
    std::vector<std::string> supers;  // in order of first appearance
    for (const auto& p : pops) {
      auto it = std::find(supers.begin(), supers.end(), p.super_pop);
      if (it == supers.end()) it = supers.insert(supers.end(), p.super_pop);
      super_of_.push_back(static_cast<int>(it - supers.begin()));
    }
    super_freq_.resize(supers.size());
    alt_threshold_.resize(pops.size());
    missing_threshold_ = BernoulliThreshold(options.missing_rate);
  }

  /// Draw the next site's population frequencies, a position in [lo, hi) (0-based), its kind
  /// and alleles.
  Site DrawSite(uint64_t lo, uint64_t hi) {
    // Frequencies: ancestral -> super-population -> population (Balding-Nichols twice).
    const double ancestral = kMinAncestralFreq + (1.0 - 2.0 * kMinAncestralFreq) * rng_.Uniform();
    for (double& f : super_freq_) f = ChildFrequency(rng_, ancestral, options_.fst_super);
    for (size_t k = 0; k < alt_threshold_.size(); ++k)
      alt_threshold_[k] =
          AlleleThreshold(ChildFrequency(rng_, super_freq_[super_of_[k]], options_.fst_pop));

    Site site;
    site.pos0 = static_cast<int64_t>(lo + rng_.Below(hi - lo));
    const double kind = rng_.Uniform();
    site.multiallelic = kind < options_.multiallelic_rate;
    site.indel = !site.multiallelic && kind < options_.multiallelic_rate + options_.indel_rate;
    static const char kBases[] = "ACGT";
    const int ref = static_cast<int>(rng_.Below(4));
    const int alt1 = (ref + 1 + static_cast<int>(rng_.Below(3))) % 4;
    // The second ALT is one of the two bases that are neither REF nor the first ALT.
    int others[2], n_others = 0;
    for (int base = 0; base < 4; ++base)
      if (base != ref && base != alt1) others[n_others++] = base;
    const int alt2 = others[rng_.Below(2)];
    // Share of the second ALT among the ALT alleles of a multi-allelic site.
    second_alt_threshold_ = BernoulliThreshold(0.2 + 0.6 * rng_.Uniform());
    if (site.indel)
      site.alleles = {kBases[ref], ',', kBases[ref], kBases[alt1]};
    else if (site.multiallelic)
      site.alleles = {kBases[ref], ',', kBases[alt1], ',', kBases[alt2]};
    else
      site.alleles = {kBases[ref], ',', kBases[alt1]};
    return site;
  }

  /// Fill `gt` (two per sample, bcf_gt_* encoded, smaller allele first) for the last drawn site.
  void DrawGenotypes(const Site& site, std::vector<int32_t>& gt) {
    const size_t n = layout_.pop.size();
    for (size_t i = 0; i < n; ++i) {
      int32_t* out = &gt[2 * i];
      if (rng_.Bits() < missing_threshold_) {
        out[0] = out[1] = bcf_gt_missing;
        continue;
      }
      // Both alleles from one draw: 32 bits each are plenty for a frequency.
      const uint64_t t = alt_threshold_[layout_.pop[i]];
      const uint64_t bits = rng_.Bits();
      int a = (bits >> 32) < t ? 1 : 0;
      int b = (bits & 0xffffffffULL) < t ? 1 : 0;
      if (site.multiallelic) {
        if (a != 0 && rng_.Bits() < second_alt_threshold_) a = 2;
        if (b != 0 && rng_.Bits() < second_alt_threshold_) b = 2;
      }
      if (a > b) std::swap(a, b);
      out[0] = bcf_gt_unphased(a);
      out[1] = bcf_gt_unphased(b);
    }
  }

 private:
  const SimulateOptions& options_;
  const SampleLayout& layout_;
  Rng rng_;
  std::vector<int> super_of_;            // population -> super-population index
  std::vector<double> super_freq_;       // per super-population, current site
  std::vector<uint64_t> alt_threshold_;  // per population, current site (AlleleThreshold)
  uint64_t missing_threshold_ = 0;
  uint64_t second_alt_threshold_ = 0;
};

/// Writes records through htslib to a temp file (or stdout) and its index, and renames both into
/// place in Finish(). Without Finish() (an exception), the destructor removes the temp files.
class VariantWriter {
 public:
  /// `options` must outlive the writer. Throws InputError if the file cannot be created.
  VariantWriter(const SimulateOptions& options, int samples) : options_(options) {
    to_stdout_ = options.output == "-";
    if (!to_stdout_) data_temp_ = std::make_unique<TempPath>(options.output);
    data_path_ = to_stdout_ ? "-" : data_temp_->temp();
    const bool compressed = options.format != SimulateFormat::kVcf;
    want_index_ = options.index && compressed && !to_stdout_;
    index_ext_ = options.format == SimulateFormat::kBcf ? ".csi" : ".tbi";
    if (want_index_) {
      index_final_ = options.output + index_ext_;
      index_temp_file_ = std::make_unique<TempPath>(index_final_);
      index_temp_ = index_temp_file_->temp();
    }

    std::string mode = options.format == SimulateFormat::kVcf     ? "w"
                       : options.format == SimulateFormat::kVcfGz ? "wz"
                                                                  : "wb";
    if (compressed) mode += std::to_string(options.compression_level);
    fp_ = hts_open(data_path_.c_str(), mode.c_str());
    if (fp_ == nullptr)
      throw InputError("cannot write '" + options.output + "': " + std::strerror(errno) +
                       "; check that the directory exists and is writable");
    if (compressed && options.threads > 0 && hts_set_threads(fp_, options.threads) != 0)
      throw InputError("cannot start " + std::to_string(options.threads) +
                       " compression threads for '" + options.output + "'");
    WriteHeader(samples);
    // htslib 1.16 writes broken on-the-fly indexes when compressing with threads (fixed in 1.19:
    // samtools/htslib#1672, #1742), so a threaded run indexes the finished file instead.
    min_shift_ = options.format == SimulateFormat::kBcf ? kCsiMinShift : 0;
    index_on_the_fly_ = want_index_ && options.threads == 0;
    if (index_on_the_fly_ && bcf_idx_init(fp_, hdr_, min_shift_, index_temp_.c_str()) != 0)
      throw InputError("cannot start the index '" + index_final_ + "'");
    pass_id_ = bcf_hdr_id2int(hdr_, BCF_DT_ID, "PASS");
    rec_ = bcf_init();
  }

  ~VariantWriter() {
    if (rec_ != nullptr) bcf_destroy(rec_);
    if (fp_ != nullptr) hts_close(fp_);
    if (hdr_ != nullptr) bcf_hdr_destroy(hdr_);
    // data_temp_ and index_temp_file_ remove their files unless Finish() committed them.
  }
  VariantWriter(const VariantWriter&) = delete;
  VariantWriter& operator=(const VariantWriter&) = delete;

  /// Write record number `record` (0-based; its ID is rs<record + 1>) on contig index `rid`.
  void Write(int rid, uint64_t record, const Site& site, std::vector<int32_t>& gt) {
    bcf_clear(rec_);
    rec_->n_sample = bcf_hdr_nsamples(hdr_);
    rec_->rid = rid;
    rec_->pos = site.pos0;
    bcf_float_set_missing(rec_->qual);
    const std::string id = "rs" + std::to_string(record + 1);
    bcf_update_id(hdr_, rec_, id.c_str());
    bcf_update_alleles_str(hdr_, rec_, site.alleles.c_str());
    bcf_update_filter(hdr_, rec_, &pass_id_, 1);
    bcf_update_genotypes(hdr_, rec_, gt.data(), static_cast<int>(gt.size()));
    if (bcf_write(fp_, hdr_, rec_) != 0)
      throw InputError("cannot write record " + std::to_string(record + 1) + " (" +
                       std::to_string(rid + 1) + ":" + std::to_string(site.pos0 + 1) + ") to '" +
                       options_.output + "'; disk full?");
  }

  /// Close the file, write the index, rename both into place; return the index path or "".
  std::string Finish() {
    if (index_on_the_fly_ && bcf_idx_save(fp_) != 0)
      throw InputError("cannot write the index '" + index_final_ + "'; disk full?");
    const int close_status = hts_close(fp_);
    fp_ = nullptr;
    if (close_status != 0)
      throw InputError("cannot finish writing '" + options_.output + "'; disk full?");
    if (want_index_ && !index_on_the_fly_ &&
        bcf_index_build3(data_path_.c_str(), index_temp_.c_str(), min_shift_,
                         options_.threads) != 0)
      throw InputError("cannot write the index '" + index_final_ + "'; disk full?");
    if (to_stdout_) return "";

    if (want_index_) {
      // The data file got its last block after the index was saved: make the index the newer
      // one, or htslib warns that "the index file is older than the data file".
      ::utimensat(AT_FDCWD, index_temp_.c_str(), nullptr, 0);
    }
    data_temp_->Commit();
    if (want_index_) index_temp_file_->Commit();
    // An index left by an earlier file of the same name would now be stale.
    for (const char* ext : {".tbi", ".csi"})
      if (!want_index_ || index_ext_ != ext) std::remove((options_.output + ext).c_str());
    return index_final_;
  }

 private:
  /// Declare the contigs with lengths, GT, the samples, and the parameters that made the file.
  void WriteHeader(int samples) {
    hdr_ = bcf_hdr_init("w");
    std::vector<std::string> lines = SourceLines(options_);
    for (int c = 0; c < options_.chroms; ++c)
      lines.push_back("##contig=<ID=" + std::to_string(c + 1) +
                      ",length=" + std::to_string(kChromLengths[c]) + ">");
    lines.push_back("##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">");
    for (const auto& line : lines)
      if (bcf_hdr_append(hdr_, line.c_str()) != 0)
        throw Error("simulate: htslib rejected the header line '" + line + "'");
    for (int i = 0; i < samples; ++i) bcf_hdr_add_sample(hdr_, SampleId(i).c_str());
    if (bcf_hdr_sync(hdr_) != 0) throw Error("simulate: cannot build the VCF header");
    if (bcf_hdr_write(fp_, hdr_) != 0)
      throw InputError("cannot write the header of '" + options_.output + "'; disk full?");
  }

  const SimulateOptions& options_;
  bool to_stdout_ = false;
  bool want_index_ = false;
  bool index_on_the_fly_ = false;
  std::string data_path_, index_ext_, index_final_, index_temp_;
  // Exclusively created temp files that htslib fills by name; removed unless committed.
  std::unique_ptr<TempPath> data_temp_, index_temp_file_;
  int min_shift_ = 0;
  int pass_id_ = 0;
  htsFile* fp_ = nullptr;
  bcf_hdr_t* hdr_ = nullptr;
  bcf1_t* rec_ = nullptr;
};

}  // namespace

SimulateFormat ParseSimulateFormat(const std::string& letter) {
  if (letter == "v") return SimulateFormat::kVcf;
  if (letter == "z") return SimulateFormat::kVcfGz;
  if (letter == "b") return SimulateFormat::kBcf;
  throw ConfigError("-O must be v (VCF), z (bgzipped VCF) or b (BCF), got '" + letter + "'");
}

const std::vector<SimulatedPopulation>& SimulatedPopulations() {
  // 1000 Genomes phase 3 sample counts (2,504 samples).
  static const std::vector<SimulatedPopulation> pops = {
      {"YRI", "AFR", 108}, {"LWK", "AFR", 99},  {"GWD", "AFR", 113}, {"MSL", "AFR", 85},
      {"ESN", "AFR", 99},  {"ASW", "AFR", 61},  {"ACB", "AFR", 96},  {"MXL", "AMR", 64},
      {"PUR", "AMR", 104}, {"CLM", "AMR", 94},  {"PEL", "AMR", 85},  {"CHB", "EAS", 103},
      {"JPT", "EAS", 104}, {"CHS", "EAS", 105}, {"CDX", "EAS", 93},  {"KHV", "EAS", 99},
      {"CEU", "EUR", 99},  {"TSI", "EUR", 107}, {"FIN", "EUR", 99},  {"GBR", "EUR", 91},
      {"IBS", "EUR", 107}, {"GIH", "SAS", 103}, {"PJL", "SAS", 96},  {"BEB", "SAS", 86},
      {"STU", "SAS", 102}, {"ITU", "SAS", 102}};
  return pops;
}

std::vector<int> PopulationSampleCounts(int samples) {
  const auto& pops = SimulatedPopulations();
  std::vector<int64_t> weights;
  for (const auto& p : pops) weights.push_back(p.weight);
  const int n_pops = static_cast<int>(pops.size());
  return LargestRemainder(samples, weights, samples >= n_pops ? 1 : 0);
}

std::vector<PopulationPlan> PlanPopulations(const SimulateOptions& o) {
  const bool generic = o.populations != 0;
  if (generic && (o.populations < 2 || o.populations > kMaxPopulations))
    throw ConfigError("--populations must be between 2 and " + std::to_string(kMaxPopulations) +
                      " (or 0 for the 26 of 1000 Genomes), got " + std::to_string(o.populations));
  if (!generic && o.super_populations != 0)
    throw ConfigError("--super-populations needs --populations N (the 26 populations of 1000 "
                      "Genomes come with their 5 super-populations)");
  if ((o.min_per_pop > 0) != (o.max_per_pop > 0) || o.min_per_pop < 0 || o.max_per_pop < 0)
    throw ConfigError("--min-per-pop and --max-per-pop go together and must be at least 1, got " +
                      std::to_string(o.min_per_pop) + " and " + std::to_string(o.max_per_pop));
  if (o.min_per_pop > o.max_per_pop)
    throw ConfigError("--min-per-pop " + std::to_string(o.min_per_pop) +
                      " is larger than --max-per-pop " + std::to_string(o.max_per_pop));

  std::vector<PopulationPlan> plan;
  if (generic) {
    const int n = o.populations;
    int k = o.super_populations;
    if (k == 0) k = std::clamp((n + 2) / 5, std::min(2, n), n);
    if (k < 1 || k > n)
      throw ConfigError("--super-populations must be between 1 and --populations (" +
                        std::to_string(n) + "), got " + std::to_string(k));
    for (int p = 0; p < n; ++p) {
      // Consecutive populations share a super-population: p * K / N.
      const int super = static_cast<int>(static_cast<int64_t>(p) * k / n);
      plan.push_back({NumberedName("P", p, n), NumberedName("S", super, k), 0});
    }
  } else {
    for (const auto& p : SimulatedPopulations()) plan.push_back({p.pop, p.super_pop, 0});
  }

  if (o.min_per_pop > 0) {
    Rng rng(o.seed ^ kSizeStream);
    const uint64_t span = static_cast<uint64_t>(o.max_per_pop - o.min_per_pop) + 1;
    int64_t total = 0;
    for (auto& p : plan) {
      p.samples = o.min_per_pop + static_cast<int>(rng.Below(span));
      total += p.samples;
    }
    if (total > INT32_MAX / 2)
      throw ConfigError("--populations x --max-per-pop gives too many samples (" +
                        std::to_string(total) + ")");
  } else if (generic) {
    std::vector<int64_t> equal(plan.size(), 1);
    std::vector<int> counts =
        LargestRemainder(o.samples, equal, o.samples >= static_cast<int>(plan.size()) ? 1 : 0);
    for (size_t p = 0; p < plan.size(); ++p) plan[p].samples = counts[p];
  } else {
    std::vector<int> counts = PopulationSampleCounts(o.samples);
    for (size_t p = 0; p < plan.size(); ++p) plan[p].samples = counts[p];
  }
  return plan;
}

std::string DefaultPanelPath(const std::string& output) {
  std::string base = output;
  for (const char* ext : {".vcf.gz", ".vcf.bgz", ".bcf", ".vcf", ".gz"}) {
    const size_t n = std::strlen(ext);
    if (base.size() > n && base.compare(base.size() - n, n, ext) == 0) {
      base.resize(base.size() - n);
      break;
    }
  }
  return base + ".panel";
}

SimulateSummary Simulate(const SimulateOptions& options) {
  Validate(options);
  const std::vector<PopulationPlan> plan = PlanPopulations(options);
  const auto start = std::chrono::steady_clock::now();
  const SampleLayout layout = MakeLayout(plan, options.seed);
  const int n_samples = static_cast<int>(layout.pop.size());
  SiteModel model(options, plan, layout);
  VariantWriter writer(options, n_samples);

  SimulateSummary summary;
  summary.samples = static_cast<size_t>(n_samples);
  summary.output = options.output;
  summary.panel = options.panel.empty() ? DefaultPanelPath(options.output) : options.panel;

  std::vector<int32_t> gt(2 * summary.samples);
  const uint64_t total = static_cast<uint64_t>(options.snps);
  auto last_report = start;
  uint64_t record = 0;
  for (int c = 0; c < options.chroms; ++c) {
    const uint64_t count = total * (c + 1) / options.chroms - total * c / options.chroms;
    const uint64_t length = static_cast<uint64_t>(kChromLengths[c]);
    for (uint64_t j = 0; j < count; ++j, ++record) {
      // One position in each of `count` equal slices of the chromosome: sorted, no duplicates.
      const Site site = model.DrawSite(length * j / count, length * (j + 1) / count);
      model.DrawGenotypes(site, gt);
      writer.Write(c, record, site, gt);
      summary.multiallelic += site.multiallelic;
      summary.indels += site.indel;

      if (options.on_progress && (record + 1) % kProgressStride == 0) {
        const auto now = std::chrono::steady_clock::now();
        if (std::chrono::duration<double>(now - last_report).count() >= options.progress_interval) {
          last_report = now;
          options.on_progress(
              {record + 1, total, std::chrono::duration<double>(now - start).count()});
        }
      }
    }
  }
  summary.records = record;
  summary.index = writer.Finish();

  std::string panel = "sample\tpop\tsuper_pop\tgender\n";
  for (int i = 0; i < n_samples; ++i) {
    const auto& p = plan[layout.pop[i]];
    panel += SampleId(i) + "\t" + p.pop + "\t" + p.super_pop + "\t" +
             (layout.male[i] ? "male" : "female") + "\n";
  }
  WriteFileAtomic(summary.panel, panel);
  return summary;
}

}  // namespace snpflow::io
