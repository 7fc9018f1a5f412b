#pragma once
/// decode-gt's options. The stage itself lives in decode_gt.cc; this header exists because the
/// ingest runner hands the record-order policies to the serial source (io::VcfSource), which is
/// the only place that sees records in input order.
#include <string>
#include <string_view>

#include "io/vcf_source.h"
#include "pipeline/options.h"

namespace snpflow {

struct DecodeGtOptions {
  static constexpr std::string_view kName = "decode-gt";
  /// A non-missing haploid call (chrX in males): "hom" reads allele a as a/a (plink2's rule),
  /// "missing" as a missing call, "skip-record" skips the whole record (reason `haploid`).
  std::string haploid = "hom";
  /// A record out of order within its contig, or on a contig that ended earlier: "error" or
  /// "skip" (counted as `unsorted`).
  std::string unsorted = "error";
  /// A record repeating an earlier record's chrom:pos:ref:alt: "error" or "skip" (`duplicate`).
  std::string duplicates = "error";
  /// "fast": VCF text by snpflow's parallel line parser (htslib's vcf_parse for unusual lines),
  /// BCF GT read from each record's raw FORMAT bytes (by the source as it reads the record when
  /// ingest runs on 1-2 threads, else by decode-gt in parallel).
  /// "htslib": VCF text by vcf_parse for every line, serially in the source; BCF GT through
  /// bcf_unpack of every FORMAT field.
  /// -r on VCF text always uses htslib. Both give the same outputs and errors.
  std::string vcf_parser = "fast";
  static void Declare(OptionSet<DecodeGtOptions>& o);
};

/// Return decode-gt's options from `values` (e.g. {"haploid": "missing"}), validated: throws
/// ConfigError naming the option and its allowed values.
DecodeGtOptions BuildDecodeGtOptions(const OptionValues& values);

/// Copy decode-gt's record-order policies (`unsorted`, `duplicates`) and the VCF text parser
/// (`vcf-parser`) into the source options. Throws ConfigError on a bad value.
void ApplyDecodeGtSourceOptions(const OptionValues& values, io::VcfSourceOptions& source);

}  // namespace snpflow
