#pragma once
/// The packed genotype store: sample-major 2-bit rows, built tile by tile from variant-major
/// blocks, never dense. Packing: variant j of a row is in byte j/4, bits 2*(j%4)..2*(j%4)+1
/// (low bits first, as plink's .bed); codes 0 hom-ref, 1 het, 2 hom-alt, 3 missing.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/atomic_file.h"

namespace snpflow::io {

/// A kept variant's site, as written to variants.tsv and the store's variant table.
struct SiteInfo {
  std::string chrom;
  int64_t pos = 0;
  std::string id;
  std::string ref;
  std::string alt;
};

class PackedStore {
 public:
  /// Variants per tile; a full tile holds kTileVariants/4 = 256 bytes per sample.
  static constexpr uint32_t kTileVariants = 1024;
  /// zstd level of the tiles unless told otherwise: on 2-bit genotypes level 1 compresses as well
  /// as 3 (0.1% smaller at 315K SNPs x 3,450 samples) for ~0.3 s less CPU per ingest.
  static constexpr int kDefaultZstdLevel = 1;

  PackedStore();
  explicit PackedStore(std::vector<std::string> sample_ids);
  PackedStore(PackedStore&&) noexcept;
  PackedStore& operator=(PackedStore&&) noexcept;
  ~PackedStore();

  /// Spare bytes after PackCodes' rows, so that splicing can read 64-bit words and the count stage
  /// 16-byte pairs of them.
  static constexpr size_t kSlackBytes = 16;

  /// Append one variant: `codes` holds num_samples() codes 0..3. Call serially, in order.
  void AppendVariant(const SiteInfo& site, const uint8_t* codes);
  /// Append `count` variants given packed as PackCodes writes them: num_samples() rows of
  /// ceil(count / 4) bytes (+ kSlackBytes). Call serially, in order; the work per variant is a
  /// shifted word copy per sample, so packing can happen in parallel before.
  void AppendPacked(const SiteInfo* sites, size_t count, const uint8_t* packed);
  /// Pack `count` variants' codes (variants[k] holds n_samples codes 0..3) into `out`: sample-major
  /// rows of ceil(count / 4) bytes, low bits first, then kSlackBytes zero bytes. Thread-safe.
  /// Returns the OR of every code read: above 3 when some code is not a code (`out` then means
  /// nothing), so that callers check the codes without reading them again.
  static uint8_t PackCodes(const uint8_t* const* variants, size_t count, size_t n_samples,
                           std::vector<uint8_t>& out);
  /// The same into PackedBytes(count, n_samples) bytes at `out`, every one of them written (the
  /// buffer need not be zeroed first).
  static uint8_t PackCodes(const uint8_t* const* variants, size_t count, size_t n_samples,
                           uint8_t* out);
  static size_t PackedBytes(size_t count, size_t n_samples) {
    return n_samples * ((count + 3) / 4) + kSlackBytes;
  }
  /// Flush the last partial tile. Call once after the last AppendVariant.
  void Finish();
  /// Compress each tile with zstd at `level` as soon as it is complete (AppendPacked, Finish), as
  /// tasks in the arena of the appending thread (an arena of `threads` threads when it is in
  /// none), while the caller goes on appending; Save at the same level then only writes the
  /// compressed tiles. Call before the first append.
  /// `keep_raw` false: a tile's raw bytes are released once it is compressed and its buffer
  /// serves a later tile (a store that is only saved, as `snpflow ingest` does: ~270 MB less
  /// memory at 315K SNPs x 3,450 samples, and no new pages per tile); ReadRow and code then
  /// throw, and Save must use `level`.
  void CompressInBackground(int level, int threads, bool keep_raw = true);
  /// Write the store to `path` while it is built: after CompressInBackground(level, threads,
  /// /*keep_raw=*/false) and before the first append. Each compressed tile goes to the file (a
  /// temp file beside `path`) in order as soon as it and those before it are done, and its
  /// bytes are freed: the store never holds them all (229 MB at 315K SNPs x 3,450 samples).
  /// Save(path) then writes what remains and renames the file into place; the store's
  /// destruction without Save leaves no file.
  void StreamTo(const std::string& path);

  size_t num_samples() const { return sample_ids_.size(); }
  size_t num_variants() const { return n_variants_; }
  /// Bytes of one packed row: ceil(num_variants / 4).
  size_t row_bytes() const { return (num_variants() + 3) / 4; }
  const std::vector<std::string>& sample_ids() const { return sample_ids_; }
  /// The sites, in order; empty for a store that streams to its file (StreamTo), whose sites go
  /// to the file's metadata as they come.
  const std::vector<SiteInfo>& sites() const { return sites_; }

  /// Copy sample `sample`'s packed row (row_bytes() bytes) to `out`. Thread-safe after Finish().
  void ReadRow(size_t sample, uint8_t* out) const;
  /// Return the code of (sample, variant). For tests and small tools, not hot loops.
  uint8_t code(size_t sample, size_t variant) const;
  /// Return the bytes held by the packed tiles (the open tile included), for memory reports.
  size_t memory_bytes() const;
  /// True when the raw tiles are released once compressed (CompressInBackground, keep_raw false).
  bool raw_released() const;

  /// Write the store to `path` atomically (format version 2): header, tiles compressed with zstd
  /// and checksummed (CRC32 of the compressed bytes + zstd checksum), then the sample ids and
  /// variant table, then the tile index. `on_written`: see AtomicFile::Commit.
  void Save(const std::string& path, int zstd_level = kDefaultZstdLevel,
            const OnWritten& on_written = nullptr) const;
  /// Read a store written by Save. Throws FormatError naming the file and the tile on a bad magic,
  /// truncation, or checksum mismatch; InputError when the file can't be opened.
  static PackedStore Load(const std::string& path);
  /// Read only variants [begin, end) of a store written by Save (`begin` a multiple of 4): the
  /// header, metadata and whole tile index are read and checked as Load does, then only the
  /// tiles overlapping the range are read, checked and decompressed. The result holds those
  /// variants (variant j of it is variant begin + j of the file) and their sites, and all the
  /// samples. Tiles outside the range are not read, so their damage goes unnoticed here (the
  /// ingest manifest's checksum of the whole file catches it). Throws as Load, and Error on a
  /// range that is not one of the file's.
  static PackedStore LoadVariantRange(const std::string& path, uint64_t begin, uint64_t end);
  /// Return the variant count of the store at `path`, reading and checking only its header.
  /// Throws InputError / FormatError as Load.
  static uint64_t ReadNumVariants(const std::string& path);

 private:
  /// Load's body: variants [begin, end), or all of them when `to_end`.
  static PackedStore LoadRange(const std::string& path, uint64_t begin, uint64_t end, bool to_end);

  std::vector<std::string> sample_ids_;
  std::vector<SiteInfo> sites_;
  size_t n_variants_ = 0;
  /// StreamTo: the metadata text so far (the sample lines, then a line per site as it comes),
  /// so that Save compresses it as it is.
  std::string meta_text_;
  /// tiles_[t] holds num_samples() x tile_bytes(t) bytes, sample-major (empty once released:
  /// CompressInBackground with keep_raw false).
  std::vector<std::vector<uint8_t>> tiles_;
  /// The tile being filled: kTileVariants/4 bytes per sample, codes ORed in.
  std::vector<uint8_t> open_tile_;
  size_t open_count_ = 0;  // variants in open_tile_
  bool open_tile_zeroed_ = false;  // open_tile_ is zero past its copied bytes (AppendPacked)
  bool finished_ = false;
  /// CompressInBackground's tasks and their results. Declared last: destroyed first, waiting
  /// for its tasks, which read tiles_.
  struct Background;
  std::unique_ptr<Background> background_;
  /// Move the open tile (full, or cut to its variants by Finish) to tiles_; start its compression.
  void CloseTile(std::vector<uint8_t> tile);
};

}  // namespace snpflow::io
