#pragma once
/// Reads VCF, bgzipped VCF or BCF (a path or "-" for stdin) with htslib, in blocks of records.
/// htslib types stay behind this header: blocks carry the raw records opaquely for `decode-gt`.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/block_source.h"
#include "pipeline/variant_block.h"

namespace snpflow::io {

struct VcfSourceOptions {
  std::string path;          // file or "-" (stdin)
  std::string regions;       // bcftools -r: "chr1:1000-2000,chr2"; needs a .csi/.tbi index
  std::string samples_file;  // bcftools -S: one id per line; "^file" excludes
  int threads = 0;           // extra htslib (BGZF) decompression threads
  size_t block_variants = VariantBlock::kBlockVariants;
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
  /// Read up to block_variants records into `block` (sets variants[].record, raw). Returns false
  /// at end of input. Serial. Throws FormatError naming file, record and position on bad input.
  bool ReadBlock(VariantBlock& block) override;
  /// Records read so far.
  uint64_t records_read() const { return records_; }
  /// Compressed bytes consumed so far and the file size (0 when unknown, e.g. stdin).
  uint64_t bytes_read() const;
  uint64_t file_size() const { return file_size_; }

 private:
  VcfSource() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  VcfSourceOptions options_;
  std::vector<std::string> sample_ids_;
  uint64_t records_ = 0;
  uint64_t file_size_ = 0;
};

}  // namespace snpflow::io
