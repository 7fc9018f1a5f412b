#pragma once
/// Simulated genotypes for tests and benchmarks (DESIGN.md section 8): a hierarchical
/// Balding-Nichols model over the 26 populations of 1000 Genomes in 5 super-populations (or any
/// number of generic populations in super-populations, with even or uneven sizes), written record
/// by record as VCF, bgzipped VCF or BCF through htslib, plus a 1000 Genomes panel file.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace snpflow::io {

/// Output container of the simulated genotypes.
enum class SimulateFormat {
  kVcf,    // plain text VCF ("-O v")
  kVcfGz,  // BGZF-compressed VCF with a .tbi index ("-O z")
  kBcf,    // BGZF-compressed BCF with a .csi index ("-O b")
};

/// Parse "v", "z" or "b" (bcftools' -O letters); throw ConfigError on anything else.
SimulateFormat ParseSimulateFormat(const std::string& letter);

/// Progress of a running Simulate(), passed to SimulateOptions::on_progress.
struct SimulateProgress {
  size_t records_done = 0;
  size_t records_total = 0;
  double seconds = 0;  // since Simulate() started
};

/// What to simulate and where to write it. Defaults are those of `snpflow simulate`.
struct SimulateOptions {
  std::string output;  // VCF/BCF path; "-" = stdout (no index, not atomic)
  std::string panel;   // panel path; "" = DefaultPanelPath(output); required for stdout
  SimulateFormat format = SimulateFormat::kVcfGz;
  int samples = 600;             // number of samples, named HG00001, HG00002, ...; 0 with
                                 // min_per_pop/max_per_pop: the sum of the drawn sizes
  /// 0: the 26 populations of 1000 Genomes in 5 super-populations, sized like 1000 Genomes.
  /// N >= 2: N populations P01..PN (zero-padded), equal shares of `samples`, in
  /// `super_populations` super-populations S1..SK of consecutive populations.
  int populations = 0;
  int super_populations = 0;  // with populations = N: K in [1, N]; 0: N / 5 rounded, in [2, N]
  /// Both > 0: each population's size is drawn uniformly from [min_per_pop, max_per_pop] (a
  /// function of the seed), and `samples` must be 0 (the total is their sum).
  int min_per_pop = 0;
  int max_per_pop = 0;
  int64_t snps = 5000;           // number of records
  double fst_super = 0.1;        // Fst of super-populations from the ancestral frequencies
  double fst_pop = 0.01;         // Fst of populations from their super-population's frequencies
  double missing_rate = 0.01;    // probability that a genotype is "./."
  double multiallelic_rate = 0;  // fraction of records with two ALT alleles
  double indel_rate = 0;         // fraction of records that are insertions (REF "A", ALT "AT")
  uint64_t seed = 1;             // the output is a function of the options, seed included
  int chroms = 1;                // records are spread over contigs "1".."chroms" (at most 22)
  int threads = 0;               // extra htslib compression threads (0 = none)
  int compression_level = 1;     // BGZF deflate level 0-9 (-O z/b); 1 is ~3x faster than 6
  bool index = true;             // write .tbi (-O z) / .csi (-O b) beside a file output
  /// Called about every progress_interval seconds, on the calling thread; may be empty.
  std::function<void(const SimulateProgress&)> on_progress;
  double progress_interval = 2.0;
};

/// What Simulate() wrote.
struct SimulateSummary {
  size_t samples = 0;
  size_t records = 0;
  size_t multiallelic = 0;  // records with two ALT alleles
  size_t indels = 0;        // indel records
  std::string output;       // the VCF/BCF path ("-" for stdout)
  std::string panel;        // the panel path
  std::string index;        // the index path, "" if none was written
};

/// One of the 26 populations of the model.
struct SimulatedPopulation {
  const char* pop;        // "YRI"
  const char* super_pop;  // "AFR"
  int weight;             // 1000 Genomes phase 3 sample count, used as the proportion
};

/// Return the 26 populations in panel order (AFR, AMR, EAS, EUR, SAS).
const std::vector<SimulatedPopulation>& SimulatedPopulations();

/// Return how many of `samples` samples each population gets (in SimulatedPopulations() order):
/// proportional to the weights by largest remainder, at least one each when samples >= 26.
std::vector<int> PopulationSampleCounts(int samples);

/// One population of a run's model: names and sample count.
struct PopulationPlan {
  std::string pop;        // "YRI", or "P07" for generic populations
  std::string super_pop;  // "AFR", or "S2"
  int samples = 0;        // how many samples it gets
};

/// Return the populations `options` simulates, in panel order, with their sample counts (the
/// same plan Simulate() uses). Throws ConfigError for bad population options.
std::vector<PopulationPlan> PlanPopulations(const SimulateOptions& options);

/// Return `output` without its .vcf.gz/.vcf.bgz/.bcf/.vcf/.gz extension, plus ".panel".
std::string DefaultPanelPath(const std::string& output);

/// Write the simulated VCF/BCF (and its index), then the panel. Streams one record at a time, so
/// memory does not grow with the number of SNPs. The bytes are a function of the options (the
/// thread count included only for the .tbi index, whose offsets htslib may write differently).
/// Outputs appear atomically (temp file + rename) unless written to stdout. Throws ConfigError
/// for bad options and InputError when a file cannot be written.
SimulateSummary Simulate(const SimulateOptions& options);

}  // namespace snpflow::io
