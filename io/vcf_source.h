#pragma once
/// Reads VCF, bgzipped VCF or BCF (a path or "-" for stdin) with htslib, in blocks of records.
/// htslib types stay behind this header: blocks carry the raw records opaquely for `decode-gt`.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/vcf_line_parser.h"  // HaploidRule
#include "pipeline/block_source.h"
#include "pipeline/variant_block.h"

namespace snpflow::io {

struct VcfSourceOptions {
  /// What to do with a record that breaks the file's order (see VcfSource::ReadBlock).
  enum class OrderPolicy { kError, kSkip };
  std::string path;          // file, "-" (stdin), or a FIFO such as <(zcat x.vcf.gz)
  std::string regions;       // bcftools -r: "chr1:1000-2000,chr2"; needs a .csi/.tbi index
  std::string samples_file;  // bcftools -S: one id per line; "^file" excludes
  int threads = 0;           // extra htslib (BGZF) decompression threads
  size_t block_variants = 0;  // records per block; 0: VariantBlock::VariantsFor(samples)
  /// A record before the previous one on its contig, or on a contig that ended earlier: a
  /// FormatError naming both records, or skipped as `unsorted` (--decode-gt.unsorted).
  OrderPolicy unsorted = OrderPolicy::kError;
  /// A record with the chrom:pos:ref:alt of an earlier record: a FormatError naming both, or
  /// skipped as `duplicate` (--decode-gt.duplicates).
  OrderPolicy duplicates = OrderPolicy::kError;
  bool quiet = false;  // no warnings on stderr (e.g. a contig missing from the header)
  /// VCF text read front to back (no -r): hand on blocks of text lines that decode-gt parses in
  /// parallel (io/vcf_line_parser), instead of htslib's serial vcf_parse of every field. The
  /// source still checks CHROM, POS and the record order, serially (see ReadBlock). For BCF:
  /// the order check reads REF/ALT from the record's raw bytes, leaving bcf_unpack to decode-gt
  /// (false: bcf_unpack(BCF_UN_STR) here, the reference of the differential tests).
  bool fast_text = true;
  /// BCF with fast_text: decode each record's GT into the block's codes as it is read, while its
  /// bytes are in cache (io::DecodeRawGt), under `haploid`; decode-gt then acts on the results in
  /// record order (errors, skips, counts). Only records that decode-gt takes to its GT step: kept
  /// by the order checks, with one ALT that is not "." or "*". decode-gt sets both
  /// (ApplyDecodeGtSourceOptions; ingest keeps it on up to 2 threads only, see RunIngest); when
  /// false, decode-gt decodes in parallel.
  bool decode_bcf_gt = false;
  HaploidRule haploid = HaploidRule::kHom;
};

class VcfSource : public BlockSource {
 public:
  /// Open the file and read its header. Throws InputError/FormatError naming the file.
  static std::unique_ptr<VcfSource> Open(const VcfSourceOptions& options);
  ~VcfSource() override;
  VcfSource(const VcfSource&) = delete;
  VcfSource& operator=(const VcfSource&) = delete;

  /// Sample ids after -S selection, in file order.
  const std::vector<std::string>& sample_ids() const { return sample_ids_; }
  const std::string& path() const { return options_.path; }
  /// Read up to block_variants records into `block` (sets variants[].record, chrom, pos, raw;
  /// marks records skipped for order as `unsorted` / `duplicate`). Returns false at end of input.
  /// Serial. Throws FormatError naming file, record and position on bad input: a POS that is not
  /// a positive integer, an empty CHROM, a contig the BCF header lacks, records out of order or
  /// duplicated (unless skipped), a truncated file or any htslib read error. On the VCF text
  /// fast path those errors (but a first line's) travel with the block instead, for decode-gt to
  /// throw after the lines before them, so that errors come in record order.
  bool ReadBlock(VariantBlock& block) override;
  /// Records read so far.
  uint64_t records_read() const { return records_; }
  /// Compressed bytes consumed so far and the file size (0 when unknown: stdin, a FIFO).
  uint64_t bytes_read() const;
  uint64_t file_size() const { return file_size_; }
  /// True when the input is a regular file (seekable; has a size, may have an index).
  bool regular_file() const { return regular_file_; }
  /// Whether blocks carry text lines for the fast parser (VCF text, no -r, fast_text).
  bool fast_text() const;
  /// Lines the fast parser handed to htslib's vcf_parse so far (unusual records).
  uint64_t fallback_records() const;
  /// Seconds spent in ReadBlock (the graph's serial source), waits for decompression included.
  double read_seconds() const { return read_seconds_; }
  /// CPU seconds of the calling thread in ReadBlock: the serial reader's own work, without its
  /// waits (BGZF blocks decompressed by htslib's threads are not counted).
  double read_cpu_seconds() const { return read_cpu_seconds_; }

 private:
  VcfSource() = default;
  /// ReadBlock for the fast path: blocks of text lines, fixed columns checked here.
  bool ReadTextBlock(VariantBlock& block);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  VcfSourceOptions options_;
  std::vector<std::string> sample_ids_;
  uint64_t records_ = 0;
  uint64_t file_size_ = 0;
  bool regular_file_ = false;
  double read_seconds_ = 0;
  double read_cpu_seconds_ = 0;
};

}  // namespace snpflow::io
