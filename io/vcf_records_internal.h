#pragma once
// Private to io/ and stages/decode_gt.cc: the raw htslib records a VariantBlock carries.
#include <htslib/vcf.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "io/bcf_raw_gt.h"
#include "io/vcf_line_parser.h"
#include "io/vcf_text_blocks.h"

namespace snpflow::io {

/// The header shared by every block of one source; lives as long as any block refers to it.
struct VcfHeader {
  bcf_hdr_t* hdr = nullptr;
  std::string path;
  int gt_id = -1;  // header id of FORMAT/GT, -1 when the header declares none
  bool bcf = false;  // the input is BCF: records straight from bcf_read/bcf_itr_next
  /// VCF text fast path (blocks carry text lines): the header's dictionary, copied at open.
  std::shared_ptr<const VcfTextDictionary> dict;
  /// htslib strips a '\r' ending the last line when it has no '\n' (BGZF/gzip input only).
  bool strips_final_cr = true;
  /// Columns of a VCF text data line: 9 + the header's samples before -S.
  size_t text_columns = 0;
  /// Serializes htslib's vcf_parse of the fast path's fallback lines: it writes the header's
  /// scratch memory and may add undeclared tags to the header.
  mutable std::mutex parse_mutex;
  /// Lines the fast path handed to vcf_parse.
  mutable std::atomic<uint64_t> fallback_records{0};
  ~VcfHeader() {
    if (hdr != nullptr) bcf_hdr_destroy(hdr);
  }
};

/// Records of the htslib path, reused from block to block: bcf_read into a fresh bcf1_t allocates
/// and first touches its buffers (at 3,450 samples ~3 us of the serial reader's ~9 us per record),
/// a reused one keeps them. Thread-safe: the source takes records, decode-gt's blocks give them
/// back when they are freed. htslib clears a record (bcf_clear) before reading into it.
class RecordPool {
 public:
  /// Keep at most `max_free` records waiting for reuse; destroy the others when given back.
  explicit RecordPool(size_t max_free) : max_free_(max_free) {}
  ~RecordPool() {
    for (bcf1_t* r : free_) bcf_destroy(r);
  }
  RecordPool(const RecordPool&) = delete;
  RecordPool& operator=(const RecordPool&) = delete;
  /// A record to read into (nullptr when out of memory).
  bcf1_t* Take() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!free_.empty()) {
        bcf1_t* r = free_.back();
        free_.pop_back();
        return r;
      }
    }
    return bcf_init();
  }
  /// Give `records` back (the vector is left empty).
  void Give(std::vector<bcf1_t*>& records) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (bcf1_t* r : records) {
      if (free_.size() < max_free_) free_.push_back(r);
      else bcf_destroy(r);
    }
    records.clear();
  }

 private:
  std::mutex mutex_;
  std::vector<bcf1_t*> free_;
  size_t max_free_;
};

struct RawRecords {
  std::shared_ptr<const VcfHeader> header;
  std::vector<bcf1_t*> records;
  /// Where `records` go back to when the block is done with them (nullptr: destroyed).
  std::shared_ptr<RecordPool> pool;
  /// Fast path: the block's data lines, parsed by decode-gt (then `records` is empty).
  std::shared_ptr<const VcfTextBlock> text;
  /// VcfSourceOptions::decode_bcf_gt: per record, what the source's DecodeRawGt found (its codes
  /// are in the block); kNotDecoded for a record it did not decode. Empty otherwise.
  std::vector<RawGtDecode> gt;
  ~RawRecords() {
    if (pool != nullptr) pool->Give(records);
    for (bcf1_t* r : records) bcf_destroy(r);
  }
};

/// The result of checking a VCF text line's CHROM and POS columns (and its column count).
struct SiteColumns {
  std::string chrom;
  int64_t pos = 0;    // 1-based
  std::string error;  // "" when valid; else what is wrong, for the message
};

/// Validate the CHROM and POS columns of a VCF data line strictly (htslib's parser reads "12ab"
/// as 12 and "abc" or "-5" as garbage positions). Rules:
///  - CHROM (column 1) is the text before the first tab and must not be empty;
///  - POS (column 2) must be present and consist of decimal digits only (no sign, no spaces),
///    with a value in [1, HTS_POS_MAX];
///  - unless `columns` is 0, the line must have exactly `columns` tab-separated columns (9 + the
///    header's samples, counted before -S), checked after CHROM and POS.
SiteColumns ParseSiteColumns(const char* line, size_t len, size_t columns);

/// Messages of the source's VCF text checks, shared with the fast path so that both paths report
/// a bad line in the same words: "'path': record N (data line N after the header)" ...
std::string TextRecordWhere(const std::string& path, uint64_t record_no);
/// ... "is malformed or the file is truncated/corrupt" (`last_site`: "chrom:pos" before it).
std::string MalformedRecordMessage(const std::string& path, uint64_t record_no,
                                   const std::string& last_site);
/// ... uses an undeclared INFO/FORMAT/FILTER tag.
std::string UndeclaredTagMessage(const std::string& path, uint64_t record_no);
/// The message for a record whose sample count differs from the header's.
std::string SampleColumnsMessage(const std::string& path, uint64_t record_no,
                                 const std::string& site, size_t columns, size_t expected);

}  // namespace snpflow::io
