#include "io/vcf_source.h"

#include <htslib/bgzf.h>
#include <htslib/hfile.h>
#include <htslib/hts.h>
#include <htslib/kstring.h>
#include <htslib/tbx.h>
#include <htslib/thread_pool.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <set>
#include <memory>
#include <sstream>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "io/bcf_raw_gt.h"
#include "io/bcf_record_size.h"
#include "io/region_order.h"
#include "io/vcf_records_internal.h"
#include "pipeline/error.h"
#include "pipeline/progress.h"

namespace snpflow::io {

namespace {

// The state of the record-order checks: the last kept record, the contigs that have ended, and
// the alleles of the kept records at the current position (for duplicates).
struct OrderState {
  int rid = -1;  // contig of the last kept record; -1 before the first
  int64_t pos = 0;
  uint64_t record = 0;
  std::string chrom;  // contig name of the last kept record (its "chrom:pos" is built on demand)
  std::unordered_map<int, std::pair<uint64_t, std::string>> ended;  // rid -> (last record, site)
  std::vector<std::pair<std::string, uint64_t>> here;  // "REF\tALT" -> record, at (rid, pos)
};

}  // namespace

// Decompressed BGZF blocks (64 KB each) that the thread pool may hold ready ahead of the reader.
// Each queued block's buffers are pages the kernel faults in (~2 us each on a VM) on first use:
// 128 was faster than both 64 and 256 in interleaved runs at 40K and 315K SNPs x 3,450 samples
// (bench/README.md).
constexpr int kBgzfQueueBlocks = 128;

struct VcfSource::Impl {
  htsFile* fp = nullptr;
  std::shared_ptr<VcfHeader> header;
  // Region iteration (-r): an index and one iterator per region, walked in order.
  hts_idx_t* idx = nullptr;
  tbx_t* tbx = nullptr;
  std::vector<std::string> regions;
  size_t region_i = 0;
  hts_itr_t* itr = nullptr;
  kstring_t line = {0, 0, nullptr};
  bool vcf_text = false;
  bool bgzf_input = false;  // BGZF-compressed (VCF.gz or BCF): has an EOF marker
  // The last good record of the htslib path, for error messages ("chrom:pos" built on demand).
  std::string last_chrom;
  int64_t last_pos = 0;
  OrderState order;
  std::set<std::string> warned_contigs;  // contigs added to the header, warned about once
  std::unordered_set<uint64_t> region_records;  // -r: offsets of the records already read
  size_t text_columns = 0;  // columns of a VCF text data line: 9 + samples before -S
  std::unique_ptr<VcfTextBlockReader> text_reader;  // the fast path's line splitter
  std::unordered_map<std::string, int> text_contigs;  // contig name -> number, for order checks
  bool text_done = false;  // the fast path met an error: no further block
  std::shared_ptr<RecordPool> pool;  // the htslib path's records, reused across blocks
  uint64_t stream_record_limit = 0;  // BCF from a stream: the most a record may claim
  htsThreadPool tpool = {nullptr, 0};  // BGZF decompression threads (destroyed after fp)
  // A second handle on a BCF file, without threads: it reads a record's lengths when they
  // straddle two blocks (see PeekBgzf), so that fp never seeks back.
  BGZF* side = nullptr;
  // BCF GT decoded here (decode_bcf_gt): every record's FORMAT bytes are read into this one
  // buffer, which stays in cache, instead of into each record's own (7 MB of them per block at
  // 3,450 samples); the record keeps none, as nothing reads them after the decode.
  kstring_t indiv = {0, 0, nullptr};

  ~Impl() {
    if (itr != nullptr) hts_itr_destroy(itr);
    if (tbx != nullptr) tbx_destroy(tbx);
    if (idx != nullptr) hts_idx_destroy(idx);
    free(line.s);
    free(indiv.s);
    if (fp != nullptr) hts_close(fp);
    if (side != nullptr) bgzf_close(side);
    if (tpool.pool != nullptr) hts_tpool_destroy(tpool.pool);
  }
};

namespace {

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(s);
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

// Return "sample 'X' appears twice in the header (columns 10 and 12)" for the first repeated name
// of a #CHROM line, or "" when every name is unique.
std::string DuplicateInChromLine(const std::string& chrom_line) {
  std::unordered_map<std::string, size_t> column_of;
  size_t column = 0, start = 0;
  while (start <= chrom_line.size()) {
    size_t end = chrom_line.find('\t', start);
    if (end == std::string::npos) end = chrom_line.size();
    ++column;
    if (column >= 10) {
      std::string name = chrom_line.substr(start, end - start);
      auto [it, inserted] = column_of.emplace(name, column);
      if (!inserted)
        return "sample '" + name + "' appears twice in the header (columns " +
               std::to_string(it->second) + " and " + std::to_string(column) + ")";
    }
    start = end + 1;
  }
  return "";
}

constexpr size_t kMaxHeaderBytes = size_t{1} << 30;

// Read a header's text from `fp`, without htslib's header parser, as its bcf_hdr_read would read
// it, into `text`: for BCF the magic, the length and that many bytes (read as they come, so a
// false length allocates nothing); for VCF the lines through hts_getline up to the #CHROM line.
// False where bcf_hdr_read fails before it parses. Used for what htslib's parser would not say
// (which sample name appears twice) or would do first (allocate for a huge IDX); a stream's text,
// which cannot be read twice, then goes to bcf_hdr_parse (ParseHeaderText).
bool ReadHeaderText(htsFile* fp, bool bcf_format, std::string* text) {
  text->clear();
  if (bcf_format) {
    BGZF* bgzf = fp->fp.bgzf;
    char magic[5];
    uint8_t len[4];
    if (bgzf_read(bgzf, magic, 5) != 5 || std::memcmp(magic, "BCF\2\2", 5) != 0 ||
        bgzf_read(bgzf, len, 4) != 4)
      return false;
    const size_t n = len[0] | (len[1] << 8) | (len[2] << 16) | (size_t{len[3]} << 24);
    if (n > kMaxHeaderBytes) return false;
    char chunk[1 << 16];
    for (size_t left = n; left > 0;) {
      const ssize_t got = bgzf_read(bgzf, chunk, std::min(left, sizeof(chunk)));
      if (got <= 0) {  // cut short: no text (a VCF header keeps the lines read)
        text->clear();
        return false;
      }
      text->append(chunk, static_cast<size_t>(got));
      left -= static_cast<size_t>(got);
    }
    // htslib parses up to the first NUL (its text is NUL-terminated).
    text->resize(std::strlen(text->c_str()));
    return true;
  }
  kstring_t line = {0, 0, nullptr};
  int ret;
  bool ok = true;
  while ((ret = hts_getline(fp, '\n', &line)) >= 0) {
    if (line.l == 0) continue;
    if (line.s[0] != '#' || text->size() > kMaxHeaderBytes) {  // no #CHROM line
      ok = false;
      break;
    }
    text->append(line.s, line.l);
    *text += '\n';
    if (line.l < 2 || line.s[1] != '#') break;  // the #CHROM line ends the header
  }
  free(line.s);
  return ok && ret >= -1 && !text->empty();
}

// The header text of the regular file at `path`, read through a handle of its own (bcf_hdr_read
// reads it again through the main one): as much of it as could be read.
std::string ReadHeaderText(const std::string& path) {
  htsFile* fp = hts_open(path.c_str(), "r");
  if (fp == nullptr) return "";
  std::string text;
  // What was read before a failure is still checked, as for a stream.
  ReadHeaderText(fp, hts_get_format(fp)->format == bcf, &text);
  hts_close(fp);
  return text;
}

// bcf_hdr_parse of a header text (what bcf_hdr_read does once it has read it); nullptr on error.
bcf_hdr_t* ParseHeaderText(std::string text) {
  bcf_hdr_t* hdr = bcf_hdr_init("r");
  if (hdr != nullptr && bcf_hdr_parse(hdr, text.data()) < 0) {
    bcf_hdr_destroy(hdr);
    hdr = nullptr;
  }
  return hdr;
}

// The #CHROM line of a header text ("" when it has none).
std::string ChromLineOf(const std::string& text) {
  size_t at = text.rfind("\n#CHROM");
  at = text.compare(0, 6, "#CHROM") == 0 ? 0 : at == std::string::npos ? at : at + 1;
  if (at == std::string::npos) return "";
  const size_t end = text.find('\n', at);
  std::string found = text.substr(at, (end == std::string::npos ? text.size() : end) - at);
  while (!found.empty() && (found.back() == '\r' || found.back() == '\0')) found.pop_back();
  return found;
}

// htslib's header parser makes room for index n of its dictionary when a line declares IDX=n
// (##INFO=<ID=DP,...,IDX=5>, as BCF headers do), and zeroes it: IDX=149250621 in a 1 KB file
// costs 4 GB. A header's indexes are its dictionary entries, numbered from 0 (gaps where lines
// were removed); allow up to 64 per header line, plus 65,536. Returns what is wrong, or "".
std::string OversizedHeaderIndex(const std::string& text) {
  size_t lines = 0;
  for (char c : text) lines += c == '\n';
  const uint64_t limit = 64 * uint64_t{lines} + 65536;
  size_t line_no = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    ++line_no;
    const std::string_view line(text.data() + start, end - start);
    start = end + 1;
    // The keys of a structured line, ##KEY=<k=v,k="quoted, \" escaped",...>, as htslib splits
    // them; only a key IDX counts (not "IDX=" inside a quoted description).
    const size_t open = line.find("=<");
    if (line.compare(0, 2, "##") != 0 || open == std::string_view::npos) continue;
    for (size_t i = open + 2; i < line.size() && line[i] != '>';) {
      const size_t eq = line.find('=', i);
      if (eq == std::string_view::npos) break;
      const std::string_view key = line.substr(i, eq - i);
      size_t j = eq + 1;
      if (j < line.size() && line[j] == '"') {
        for (++j; j < line.size() && line[j] != '"'; ++j)
          if (line[j] == '\\') ++j;
        ++j;
      } else {
        uint64_t value = 0;  // the value's digits, up to just past the limit
        for (; j < line.size() && line[j] != ',' && line[j] != '>'; ++j)
          if (line[j] >= '0' && line[j] <= '9' && value <= limit)
            value = value * 10 + static_cast<uint64_t>(line[j] - '0');
        if (key == "IDX" && value > limit)
          return "header line " + std::to_string(line_no) + " declares IDX=" +
                 std::string(line.substr(eq + 1, j - eq - 1)) + ", an index far beyond what a "
                 "header of " + std::to_string(lines) + " lines can use (htslib would allocate "
                 "memory for that many entries)";
      }
      if (j < line.size() && line[j] == ',') ++j;
      i = j;
    }
  }
  return "";
}

// Copy what the fast line parser needs from the header (after -S).
std::shared_ptr<const VcfTextDictionary> TextDictionary(const bcf_hdr_t* hdr) {
  auto dict = std::make_shared<VcfTextDictionary>();
  for (int i = 0; i < hdr->n[BCF_DT_CTG]; ++i)
    if (hdr->id[BCF_DT_CTG][i].key != nullptr) dict->AddContig(hdr->id[BCF_DT_CTG][i].key);
  for (int i = 0; i < hdr->n[BCF_DT_ID]; ++i) {
    const bcf_idpair_t& pair = hdr->id[BCF_DT_ID][i];
    if (pair.key == nullptr) continue;
    dict->AddId(pair.key);
    if (pair.val == nullptr) continue;
    // htslib marks an ID not declared for a line type with info[type] == 15 (vcf.c).
    if (pair.val->info[BCF_HL_INFO] != 15) dict->AddInfo(pair.key);
    const uint32_t fmt = pair.val->info[BCF_HL_FMT];
    if (fmt == 15) continue;
    using FieldType = VcfTextDictionary::FieldType;
    FieldType type = FieldType::kUnsupported;
    switch (fmt >> 4 & 0xf) {
      case BCF_HT_STR: type = FieldType::kString; break;
      case BCF_HT_INT: type = FieldType::kInteger; break;
      case BCF_HT_REAL: type = FieldType::kFloat; break;
      default: break;
    }
    dict->AddFormat(pair.key, type);
  }
  std::vector<uint32_t> kept;
  size_t columns = static_cast<size_t>(bcf_hdr_nsamples(hdr));
  if (hdr->keep_samples != nullptr) {
    columns = static_cast<size_t>(hdr->nsamples_ori);
    for (size_t i = 0; i < columns; ++i)
      if (hdr->keep_samples[i >> 3] & (1 << (i & 7))) kept.push_back(static_cast<uint32_t>(i));
  } else {
    for (size_t i = 0; i < columns; ++i) kept.push_back(static_cast<uint32_t>(i));
  }
  dict->SetSamples(columns, std::move(kept));
  return dict;
}

}  // namespace

std::string TextRecordWhere(const std::string& path, uint64_t record_no) {
  return "'" + path + "': record " + std::to_string(record_no) + " (data line " +
         std::to_string(record_no) + " after the header)";
}

std::string MalformedRecordMessage(const std::string& path, uint64_t record_no,
                                   const std::string& last_site) {
  return TextRecordWhere(path, record_no) + (last_site.empty() ? "" : ", after " + last_site) +
         " is malformed or the file is truncated/corrupt; check it with `bcftools view " + path +
         " > /dev/null`";
}

std::string UndeclaredTagMessage(const std::string& path, uint64_t record_no) {
  return TextRecordWhere(path, record_no) +
         " uses an INFO, FORMAT or FILTER tag that the header does not declare; add its "
         "##INFO/##FORMAT/##FILTER line to the header (e.g. with `bcftools annotate -h "
         "extra.hdr`)";
}

std::string SampleColumnsMessage(const std::string& path, uint64_t record_no,
                                 const std::string& site, size_t columns, size_t expected) {
  return "'" + path + "': record " + std::to_string(record_no) + " (" + site + ") has " +
         std::to_string(columns) + " sample columns but the header has " +
         std::to_string(expected) + "; the line is malformed or cut short";
}

std::unique_ptr<VcfSource> VcfSource::Open(const VcfSourceOptions& options) {
  // Our own messages name the file and record; htslib's would only repeat them less clearly.
  hts_set_log_level(HTS_LOG_OFF);
  std::unique_ptr<VcfSource> src(new VcfSource());
  src->options_ = options;
  src->impl_ = std::make_unique<Impl>();
  Impl& im = *src->impl_;
  const std::string& path = options.path;
  if (path != "-") {
    struct stat st;
    if (stat(path.c_str(), &st) != 0)
      throw InputError("cannot open '" + path + "': no such file; check the input path");
    if (S_ISDIR(st.st_mode))
      throw InputError("'" + path + "' is a directory; give a VCF, VCF.gz or BCF file");
    // Only a regular file has a meaningful size; a FIFO or /dev/fd/N (process substitution,
    // `<(zcat x.vcf.gz)`) is read like stdin.
    src->regular_file_ = S_ISREG(st.st_mode);
    if (src->regular_file_) {
      src->file_size_ = static_cast<uint64_t>(st.st_size);
      if (st.st_size == 0)
        throw FormatError("'" + path + "' is empty; expected a VCF, VCF.gz or BCF file");
    }
  }
  im.fp = hts_open(path.c_str(), "r");
  if (im.fp == nullptr) throw InputError("cannot open '" + path + "': not readable by htslib");
  const htsFormat* fmt = hts_get_format(im.fp);
  if (fmt->category != variant_data) {
    // hts_format_description returns a malloc()ed string.
    std::unique_ptr<char, decltype(&free)> seen(hts_format_description(fmt), &free);
    throw FormatError("'" + path + "' is not a VCF or BCF file (htslib sees " +
                      std::string(seen ? seen.get() : "an unknown format") + ")");
  }
  im.vcf_text = fmt->format == vcf;
  im.bgzf_input = fmt->compression == bgzf;
  // A BGZF file cut at a block boundary reads as a shorter valid file; only the missing EOF
  // marker tells. Seekable files are checked now; streams when their end is reached (ReadBlock).
  if (im.bgzf_input && src->regular_file_ && hts_check_EOF(im.fp) == 0)
    throw FormatError("'" + path + "' is truncated: its BGZF end-of-file marker is missing (the "
                      "file was cut short, e.g. by an interrupted download or copy); re-create "
                      "or re-download it");
  if (options.threads > 0 && im.bgzf_input) {
    // Our own pool rather than hts_set_threads: its queue of 2 blocks per thread keeps the
    // workers sleeping and waking for every 64 KB block (about 0.5 s of futex and scheduler
    // time per 2 GB here); a deeper queue lets them decompress ahead in runs. Only BGZF input
    // has blocks to decompress (hts_set_threads starts no thread for plain text either).
    im.tpool.pool = hts_tpool_init(options.threads);
    im.tpool.qsize = kBgzfQueueBlocks;
    if (im.tpool.pool == nullptr || hts_set_opt(im.fp, HTS_OPT_THREAD_POOL, &im.tpool) != 0)
      throw Error("'" + path + "': could not start " + std::to_string(options.threads) +
                  " decompression threads");
  }
  if (fmt->format == bcf && src->regular_file_) {
    im.side = bgzf_open(path.c_str(), "r");  // nullptr: PeekBgzf seeks fp back instead
    // bcf_hdr_read allocates the length the header claims before reading it.
    if (const uint64_t claimed = OversizedBcfHeader(im.fp->fp.bgzf, src->file_size_))
      throw FormatError("'" + path + "': the BCF header claims " + std::to_string(claimed) +
                        " bytes, more than the file can hold; the file is truncated or corrupt; "
                        "check it with `bcftools view -h " + path + "`");
  }
  // The header's text, read apart for the checks htslib's parser lacks. A VCF file is read
  // twice, here and by bcf_hdr_read (which also takes contigs from a tabix index); a stream,
  // which cannot be, and a BCF file, whose bcf_hdr_read only parses the text (~1.4 ms more at
  // 3,450 samples), only here, and the text then goes to htslib's parser.
  const bool read_twice = src->regular_file_ && fmt->format != bcf;
  std::string header_text;
  const bool text_ok = read_twice || ReadHeaderText(im.fp, fmt->format == bcf, &header_text);
  if (read_twice) header_text = ReadHeaderText(path);
  if (const std::string why = OversizedHeaderIndex(header_text); !why.empty())
    throw FormatError("'" + path + "': " + why + "; the header is corrupt or crafted; check it "
                      "with `bcftools view -h " + path + "`");
  im.header = std::make_shared<VcfHeader>();
  im.header->path = path;
  im.header->bcf = fmt->format == bcf;
  im.header->hdr = read_twice ? bcf_hdr_read(im.fp)
                   : text_ok    ? ParseHeaderText(header_text)
                                : nullptr;
  if (im.header->hdr == nullptr) {
    std::string duplicate = DuplicateInChromLine(ChromLineOf(header_text));
    if (!duplicate.empty())
      throw FormatError("'" + path + "': " + duplicate + "; give every sample a unique name, "
                        "e.g. with `bcftools reheader -s new_names.txt " + path + "`");
    throw FormatError("'" + path + "': cannot read the VCF header (empty, truncated or malformed, "
                      "or a sample name appears twice); check the file with `bcftools view -h " +
                      path + "`");
  }
  if (bcf_hdr_nsamples(im.header->hdr) == 0)
    throw FormatError("'" + path + "' has no samples (a sites-only VCF); snpflow needs a genotype "
                      "(GT) column per sample");
  im.text_columns = 9 + static_cast<size_t>(bcf_hdr_nsamples(im.header->hdr));
  // Every sample of the file, before -S: a record holds them all.
  im.stream_record_limit =
      StreamBcfRecordLimit(static_cast<uint64_t>(bcf_hdr_nsamples(im.header->hdr)));
  if (!options.samples_file.empty()) {
    int r = bcf_hdr_set_samples(im.header->hdr, options.samples_file.c_str(), /*is_file=*/1);
    if (r < 0)
      throw InputError("cannot read samples file '" + options.samples_file + "' (-S)");
    if (r > 0)
      throw InputError("samples file '" + options.samples_file + "': sample #" + std::to_string(r) +
                       " is not in '" + path + "'; fix the list or use --force-samples in bcftools");
  }
  im.header->gt_id = bcf_hdr_id2int(im.header->hdr, BCF_DT_ID, "GT");
  if (im.header->gt_id < 0 || !bcf_hdr_idinfo_exists(im.header->hdr, BCF_HL_FMT, im.header->gt_id))
    throw FormatError("'" + path + "' has no FORMAT/GT field in its header; snpflow needs diploid "
                      "genotype calls (GT)");
  int n = bcf_hdr_nsamples(im.header->hdr);
  if (n == 0)
    throw InputError("samples file '" + options.samples_file + "' (-S) selects none of the " +
                     "samples of '" + path + "'; list at least one");
  for (int i = 0; i < n; ++i) src->sample_ids_.push_back(im.header->hdr->samples[i]);
  if (src->options_.block_variants == 0)
    src->options_.block_variants = VariantBlock::VariantsFor(src->sample_ids_.size());

  if (!options.regions.empty()) {
    if (!src->regular_file_)
      throw InputError("-r/--regions needs an indexed file, not stdin or a pipe ('" + path + "')");
    im.regions = SplitComma(options.regions);
    if (im.vcf_text) {
      im.tbx = tbx_index_load(path.c_str());
      if (im.tbx == nullptr)
        throw InputError("-r/--regions needs an index for '" + path + "'; create one with "
                         "`bcftools index -t " + path + "` (bgzipped VCF only)");
    } else {
      im.idx = bcf_index_load(path.c_str());
      if (im.idx == nullptr)
        throw InputError("-r/--regions needs an index for '" + path + "'; create one with "
                         "`bcftools index " + path + "`");
    }
    CheckRegionOrder(path, im.regions, im.header->hdr, im.idx, im.tbx);
  }
  if (im.vcf_text && im.regions.empty() && options.fast_text) {
    // The header was read through the same handle: raw reads continue at the first data line.
    htsFile* fp = im.fp;
    VcfTextBlockReader::ReadFn read;
    if (fp->format.compression == no_compression) {
      im.header->strips_final_cr = false;
      read = [fp](char* buf, size_t n) { return static_cast<int64_t>(hread(fp->fp.hfile, buf, n)); };
    } else {
      // Never past the current BGZF block: bgzf_read reports a failing block as -1 and drops the
      // bytes it copied in that call, while htslib's line reader keeps them (a partial line).
      read = [fp](char* buf, size_t n) -> int64_t {
        BGZF* bgzf = fp->fp.bgzf;
        if (bgzf->block_offset >= bgzf->block_length) {
          if (bgzf_read_block(bgzf) != 0) return -1;
          if (bgzf->block_length == 0) return 0;
        }
        n = std::min(n, static_cast<size_t>(bgzf->block_length - bgzf->block_offset));
        return static_cast<int64_t>(bgzf_read(bgzf, buf, n));
      };
    }
    im.header->dict = TextDictionary(im.header->hdr);
    im.header->text_columns = im.text_columns;
    im.text_reader = std::make_unique<VcfTextBlockReader>(std::move(read));
  }
  return src;
}

bool VcfSource::fast_text() const { return impl_->text_reader != nullptr; }

uint64_t VcfSource::fallback_records() const { return impl_->header->fallback_records.load(); }


VcfSource::~VcfSource() = default;

uint64_t VcfSource::bytes_read() const {
  if (impl_->fp->format.compression == bgzf || impl_->fp->format.format == bcf)
    return static_cast<uint64_t>(bgzf_tell(impl_->fp->fp.bgzf) >> 16);
  return 0;
}

namespace {

}  // namespace

SiteColumns ParseSiteColumns(const char* line, size_t len, size_t columns) {
  SiteColumns site;
  const char* end = line + len;
  const char* tab = static_cast<const char*>(std::memchr(line, '\t', len));
  if (tab == nullptr) {
    site.chrom.assign(line, len);
    site.error = "has no POS column (column 2); the line is malformed or cut short";
    return site;
  }
  site.chrom.assign(line, tab);
  if (site.chrom.empty()) {
    site.error = "has an empty CHROM (column 1)";
    return site;
  }
  const char* p = tab + 1;
  const char* pos_end = static_cast<const char*>(std::memchr(p, '\t', end - p));
  if (pos_end == nullptr) pos_end = end;
  const std::string text(p, pos_end);
  bool digits = !text.empty();
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      digits = false;
      break;
    }
    if (value > (HTS_POS_MAX - (c - '0')) / 10) {
      site.error = "has POS (column 2) '" + text + "', larger than the largest position " +
                   std::to_string(HTS_POS_MAX);
      return site;
    }
    value = value * 10 + (c - '0');
  }
  if (!digits || value == 0) {
    site.error = "has POS (column 2) '" + text + "', not a positive integer (positions are " +
                 "1-based)";
    return site;
  }
  site.pos = value;
  if (columns == 0) return site;
  const size_t found = static_cast<size_t>(std::count(line, end, '\t')) + 1;
  if (found != columns)
    site.error = "at " + site.chrom + ":" + text + " has " + std::to_string(found) +
                 " columns but the header has " + std::to_string(columns) + " (9 + " +
                 std::to_string(columns - 9) + " samples); the line is malformed or cut short";
  return site;
}

namespace {

std::string Site(const std::string& chrom, int64_t pos) { return chrom + ":" + std::to_string(pos); }

// Check the order of a record read in input order (the serial source is the only place that
// sees that order). Return nullptr to keep it, or its skip reason when the policy says skip;
// throw FormatError naming both records otherwise. The rules:
//  - `unsorted`: POS below the last kept record's on the same contig, or a contig that already
//    ended (a different contig came after it);
//  - `duplicate`: same contig, POS, REF and ALT (the whole ALT list) as a kept record.
// A skipped record does not move the state: later records are compared with the last kept one.
const char* CheckOrderOf(OrderState& st, const VcfSourceOptions& options, int rid,
                         const std::string& chrom, int64_t pos, std::string alleles,
                         uint64_t record_no);

// "REF\tALT1,ALT2" of a BCF record read from its raw shared bytes (ID, then n_allele typed
// strings), as bcf_unpack(BCF_UN_STR) would give them (each string ends at its first NUL), without
// unpacking: the serial reader leaves the unpack to the parallel decode-gt. Returns false when the
// bytes are not what bcf_read's record check lets through (then the caller unpacks).
bool RawAlleles(const bcf1_t* rec, std::string* alleles) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(rec->shared.s);
  const uint8_t* end = p + rec->shared.l;
  // One typed string: a type descriptor (BCF_BT_CHAR and its length), then the characters.
  auto next = [&](const char** text, size_t* len) {
    int type = 0;
    int64_t n = 0;
    if (!ReadTypeAndCount(p, end, &type, &n) || type != BCF_BT_CHAR) return false;
    if (static_cast<uint64_t>(n) > static_cast<uint64_t>(end - p)) return false;
    *text = reinterpret_cast<const char*>(p);
    *len = strnlen(*text, static_cast<size_t>(n));
    p += n;
    return true;
  };
  const char* text;
  size_t len;
  if (!next(&text, &len)) return false;  // ID
  alleles->clear();
  for (int a = 0; a < rec->n_allele; ++a) {
    if (!next(&text, &len)) return false;
    if (a == 1) *alleles += '\t';
    if (a > 1) *alleles += ',';
    alleles->append(text, len);
  }
  if (rec->n_allele == 1) *alleles += '\t';
  return true;
}

// `alleles` receives the record's "REF\tALT".
const char* CheckOrder(OrderState& st, const VcfSourceOptions& options, bcf1_t* rec,
                       const std::string& chrom, int64_t pos, uint64_t record_no,
                       std::string& alleles) {
  // vcf-parser htslib: bcf_unpack here as before (the differential tests' reference).
  if (!options.fast_text || !RawAlleles(rec, &alleles)) {
    if (bcf_unpack(rec, BCF_UN_STR) < 0)
      throw FormatError("'" + options.path + "': record " + std::to_string(record_no) + " (" +
                        Site(chrom, pos) + ") cannot be unpacked (corrupt record); check the file "
                        "with `bcftools view " + options.path + " > /dev/null`");
    alleles = rec->n_allele > 0 ? rec->d.allele[0] : "";
    alleles += '\t';
    for (int a = 1; a < rec->n_allele; ++a) (alleles += a > 1 ? "," : "") += rec->d.allele[a];
  }
  return CheckOrderOf(st, options, rec->rid, chrom, pos, alleles, record_no);
}

// The order rules on a record's contig (any stable number per contig name), POS and "REF\tALT".
// Messages are built only when a rule is broken: this runs serially for every record.
const char* CheckOrderOf(OrderState& st, const VcfSourceOptions& options, int rid,
                         const std::string& chrom, int64_t pos, std::string alleles,
                         uint64_t record_no) {
  const std::string& path = options.path;
  const auto skip_or_throw = [&](VcfSourceOptions::OrderPolicy policy, const char* reason,
                                 const auto& message) -> const char* {
    if (policy == VcfSourceOptions::OrderPolicy::kSkip) return reason;
    throw FormatError(message());
  };
  const auto here = [&] {
    return "'" + path + "': record " + std::to_string(record_no) + " (" + Site(chrom, pos) + ")";
  };
  const char* kSortHint = "; sort the file with `bcftools sort`, or skip such records with "
                          "--decode-gt.unsorted skip";
  if (rid == st.rid && pos < st.pos)
    return skip_or_throw(options.unsorted, "unsorted", [&] {
      return here() + " comes after record " + std::to_string(st.record) + " (" +
             Site(st.chrom, st.pos) + ") on the same contig: the file is not sorted by position" +
             kSortHint;
    });
  if (rid != st.rid) {
    auto it = st.ended.find(rid);
    if (it != st.ended.end())
      return skip_or_throw(options.unsorted, "unsorted", [&] {
        return here() + " is on contig '" + chrom + "', which ended at record " +
               std::to_string(it->second.first) + " (" + it->second.second +
               ") before another contig began: the records of a contig must be contiguous" +
               kSortHint;
      });
    if (st.rid >= 0) st.ended[st.rid] = {st.record, Site(st.chrom, st.pos)};
    st.here.clear();
    st.chrom = chrom;
  } else if (pos != st.pos) {
    st.here.clear();
  }
  for (const auto& [key, first] : st.here)
    if (key == alleles) {
      const uint64_t earlier = first;
      return skip_or_throw(options.duplicates, "duplicate", [&] {
        return here() + " repeats record " + std::to_string(earlier) + " (same CHROM, POS, REF "
               "and ALT); remove duplicates with `bcftools norm -d exact`, or skip them with "
               "--decode-gt.duplicates skip";
      });
    }
  st.here.emplace_back(std::move(alleles), record_no);
  st.rid = rid;
  st.pos = pos;
  st.record = record_no;
  return nullptr;
}

}  // namespace

bool VcfSource::ReadTextBlock(VariantBlock& block) {
  Impl& im = *impl_;
  if (im.text_done) return false;
  auto text = std::make_shared<VcfTextBlock>();
  if (!im.text_reader->Next(options_.block_variants, *text)) return false;
  // Per line, serially and cheaply (the fixed columns only): CHROM and POS strictly, the
  // undeclared-contig warning and the record order, as the htslib path does. An error becomes
  // the block's pending error, thrown by decode-gt after the lines before it (in record order).
  const VcfTextDictionary& dict = *im.header->dict;
  std::vector<const char*> dropped;
  block.variants.clear();
  block.counted.clear();
  for (size_t i = 0; i < text->lines(); ++i) {
    const uint64_t record_no = text->first_record + i;
    std::string_view line = text->TrimmedLine(i, im.header->strips_final_cr);
    SiteColumns site = ParseSiteColumns(line.data(), line.size(), /*columns=*/0);
    if (!site.error.empty()) {
      text->SetPendingError(i, /*after_parse=*/false, TextRecordWhere(path(), record_no) + " " +
                                                         site.error);
      break;
    }
    if (!dict.IsContig(site.chrom) && im.warned_contigs.insert(site.chrom).second &&
        !options_.quiet)
      std::fprintf(stderr, "snpflow: warning: '%s': contig '%s' (record %llu) is not declared in "
                   "the header; continuing as bcftools does (add a ##contig line to silence "
                   "this)\n", path().c_str(), site.chrom.c_str(),
                   static_cast<unsigned long long>(record_no));
    // REF and ALT (columns 4 and 5) for the duplicate check; a line without them fails parsing
    // (its column count) before the order check could matter.
    std::string alleles;
    size_t tabs[5], from = 0;
    int found = 0;
    for (; found < 5; ++found) {
      tabs[found] = line.find('\t', from);
      if (tabs[found] == std::string_view::npos) break;
      from = tabs[found] + 1;
    }
    if (found == 5) {
      std::string_view alt = line.substr(tabs[3] + 1, tabs[4] - tabs[3] - 1);
      alleles.assign(line.substr(tabs[2] + 1, tabs[3] - tabs[2] - 1));
      alleles += '\t';
      if (alt != ".") alleles += alt;  // htslib lists no ALT allele for "."
    }
    const int contig = im.text_contigs.emplace(site.chrom, static_cast<int>(im.text_contigs.size()))
                           .first->second;
    try {
      dropped.push_back(CheckOrderOf(im.order, options_, contig, site.chrom, site.pos,
                                     std::move(alleles), record_no));
    } catch (const FormatError& e) {
      dropped.push_back(nullptr);
      text->SetPendingError(i, /*after_parse=*/true, e.what());
    }
    Variant v;
    v.record = record_no;
    v.chrom = std::move(site.chrom);
    v.pos = site.pos;
    block.variants.push_back(std::move(v));
    if (text->has_pending_error()) break;
  }
  if (text->has_pending_error()) {
    im.text_done = true;
  } else if (im.text_reader->at_end() && im.bgzf_input && im.fp->fp.bgzf->no_eof_block) {
    // A stream (stdin, a pipe) cut at a BGZF block boundary ends cleanly; only the missing EOF
    // marker tells (regular files were checked when opened).
    text->SetPendingError(text->lines(), /*after_parse=*/false,
                          "'" + path() + "' is truncated: it ends after record " +
                              std::to_string(records_ + text->lines()) +
                              " without the BGZF end-of-file marker (the file was cut short); "
                              "re-create or re-download it");
  }
  if (block.variants.empty() && !text->has_pending_error() && text->read_error)
    throw FormatError(MalformedRecordMessage(path(), text->first_record, text->previous_site));
  if (block.variants.empty()) {
    if (!text->has_pending_error()) return false;
    throw FormatError(text->pending_error);  // nothing before it to decode first
  }
  text->Truncate(block.variants.size());
  records_ += block.variants.size();
  auto raw = std::make_shared<RawRecords>();
  raw->header = im.header;
  raw->text = std::move(text);
  block.n_samples = sample_ids_.size();
  block.dropped = std::move(dropped);
  block.raw = raw;
  return true;
}

bool VcfSource::ReadBlock(VariantBlock& block) {
  struct Timer {  // adds the call's wall and thread CPU time to the totals, also when it throws
    double& total;
    double& cpu_total;
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    double cpu_start = ThreadCpuSeconds();
    ~Timer() {
      total += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      cpu_total += ThreadCpuSeconds() - cpu_start;
    }
  } timer{read_seconds_, read_cpu_seconds_};
  Impl& im = *impl_;
  if (im.text_reader != nullptr) return ReadTextBlock(block);
  auto raw = std::make_shared<RawRecords>();
  raw->header = im.header;
  // One block's worth waiting for reuse: a block given back serves the next block read (more
  // would only hold memory: ~2 bytes per sample per record for GT alone).
  if (im.pool == nullptr) im.pool = std::make_shared<RecordPool>(options_.block_variants);
  raw->pool = im.pool;
  raw->records.reserve(options_.block_variants);
  block.variants.clear();
  block.counted.clear();
  std::vector<const char*> dropped;
  bcf_hdr_t* hdr = im.header->hdr;
  // "'file': record N" (+ the data line for VCF text, + the last good site) for error messages.
  auto where = [&](uint64_t record_no) {
    std::string w = "'" + path() + "': record " + std::to_string(record_no);
    if (im.vcf_text && im.regions.empty())
      w += " (data line " + std::to_string(record_no) + " after the header)";
    return w;
  };
  auto after_last = [&]() {
    return im.last_chrom.empty() ? "" : ", after " + Site(im.last_chrom, im.last_pos);
  };
  auto corrupt = [&](uint64_t record_no) {
    return FormatError(where(record_no) + after_last() +
                       " is malformed or the file is truncated/corrupt; check it with "
                       "`bcftools view " + path() + " > /dev/null`");
  };
  // BCF GT decoded here (decode_bcf_gt), into codes that grow record by record.
  const bool decode_gt = options_.decode_bcf_gt && options_.fast_text && !im.vcf_text;
  if (decode_gt) {
    block.codes.clear();
    // Whole block at once: growing record by record would copy the codes at each doubling and
    // fault in every doubled buffer (a pooled block keeps this capacity for its next use).
    block.codes.reserve(options_.block_variants * sample_ids_.size());
    raw->gt.reserve(options_.block_variants);
  }
  std::string alleles;  // "REF\tALT" of the record, for the order checks
  while (raw->records.size() < options_.block_variants) {
    const uint64_t record_no = records_ + 1;
    bcf1_t* rec = im.pool->Take();
    if (rec == nullptr) throw Error("out of memory reading '" + path() + "'");
    raw->records.push_back(rec);  // owned by raw from here on, also when we throw
    SiteColumns site;
    // Parse one line of VCF text in im.line after validating CHROM and POS: returns htslib's
    // convention (0, or < -1 on error).
    auto parse_text = [&]() -> int {
      site = ParseSiteColumns(im.line.s, im.line.l, im.text_columns);
      if (!site.error.empty()) throw FormatError(where(record_no) + " " + site.error);
      if (bcf_hdr_name2id(hdr, site.chrom.c_str()) < 0 && im.warned_contigs.insert(site.chrom).second &&
          !options_.quiet)
        std::fprintf(stderr, "snpflow: warning: '%s': contig '%s' (record %llu) is not declared in "
                     "the header; continuing as bcftools does (add a ##contig line to silence "
                     "this)\n", path().c_str(), site.chrom.c_str(),
                     static_cast<unsigned long long>(record_no));
      int r = vcf_parse(&im.line, hdr, rec);
      // htslib adds an undeclared contig to the header and flags the record; we warned above.
      if (r == 0) rec->errcode &= ~BCF_ERR_CTG_UNDEF;
      return r;
    };
    int ret;
    if (im.regions.empty()) {
      if (im.vcf_text) {
        ret = hts_getline(im.fp, '\n', &im.line);
        if (ret >= 0) ret = parse_text();
      } else {
        // bcf_read allocates the lengths a record claims before reading it: check them first,
        // against what the rest of a file can hold, or a stream's limit.
        const uint64_t claimed =
            regular_file_ ? OversizedBcfRecord(im.fp->fp.bgzf, file_size_, im.side)
                          : OversizedStreamBcfRecord(im.fp->fp.bgzf, im.stream_record_limit);
        if (claimed != 0)
          throw FormatError(
              where(record_no) + after_last() + " claims " + std::to_string(claimed) + " bytes, " +
              (regular_file_
                   ? "more than the rest of the file can hold; the file is truncated or corrupt; "
                     "check it with `bcftools view " + path() + " > /dev/null`"
                   : "more than a record read from a pipe or stdin may claim (" +
                         std::to_string(im.stream_record_limit) +
                         " bytes: 4 KiB per sample, at least 128 MiB; a stream's length cannot be "
                         "checked); the input is truncated, corrupt or crafted; if the record is "
                         "real, give snpflow the file itself rather than a pipe"));
        if (decode_gt) std::swap(rec->indiv, im.indiv);  // read into the shared buffer
        ret = bcf_read(im.fp, hdr, rec);
      }
    } else {
      ret = -1;
      while (im.region_i <= im.regions.size()) {
        if (im.itr == nullptr) {
          if (im.region_i == im.regions.size()) break;
          const std::string& reg = im.regions[im.region_i];
          im.itr = im.vcf_text ? tbx_itr_querys(im.tbx, reg.c_str())
                               : bcf_itr_querys(im.idx, hdr, reg.c_str());
          if (im.itr == nullptr) {
            // A contig absent from the index has no records: bcftools skips it too.
            if (bcf_hdr_name2id(hdr, reg.substr(0, reg.find(':')).c_str()) < 0 &&
                (im.vcf_text ? tbx_name2id(im.tbx, reg.substr(0, reg.find(':')).c_str()) < 0 : true)) {
              ++im.region_i;
              continue;
            }
            throw InputError("'" + path() + "': cannot parse region '" + reg + "' (-r)");
          }
        }
        ret = im.vcf_text ? tbx_itr_next(im.fp, im.tbx, im.itr, &im.line)
                          : bcf_itr_next(im.fp, im.itr, rec);
        // Overlapping regions (-r 1:1-200,1:100-300) return a record once per region; read it
        // once, as bcftools does. The iterator's offset after a record identifies it.
        if (ret >= 0 && !im.region_records.insert(im.itr->curr_off).second) continue;
        if (ret >= 0) {
          if (im.vcf_text)
            ret = parse_text();
          // Iterators bypass bcf_read's sample subsetting (-S); apply it here (htslib vcf.h).
          else if (hdr->keep_samples != nullptr && bcf_subset_format(hdr, rec) != 0)
            ret = -2;
        }
        if (ret == -1) {
          hts_itr_destroy(im.itr);
          im.itr = nullptr;
          ++im.region_i;
          continue;
        }
        break;
      }
    }
    if (ret == -1) {
      raw->records.pop_back();
      std::vector<bcf1_t*> unused = {rec};
      im.pool->Give(unused);
      // A stream (stdin, a pipe) cut at a BGZF block boundary ends cleanly; only the missing EOF
      // marker tells (regular files were checked when opened).
      if (im.bgzf_input && im.regions.empty() && im.fp->fp.bgzf->no_eof_block)
        throw FormatError("'" + path() + "' is truncated: it ends after record " +
                          std::to_string(records_) + " without the BGZF end-of-file marker (the "
                          "file was cut short); re-create or re-download it");
      break;
    }
    if (ret < -1) {
      if (!im.vcf_text && (rec->errcode & BCF_ERR_CTG_INVALID))
        throw FormatError(where(record_no) + " names contig #" +
                          std::to_string(rec->rid) + ", which the header does not declare; the "
                          "file is corrupt (check it with `bcftools view " + path() + " > /dev/null`)");
      throw corrupt(record_no);
    }
    if (rec->errcode & BCF_ERR_TAG_UNDEF)
      throw FormatError(where(record_no) + " uses an INFO, FORMAT or FILTER tag that the header "
                        "does not declare; add its ##INFO/##FORMAT/##FILTER line to the header "
                        "(e.g. with `bcftools annotate -h extra.hdr`)");
    if (rec->errcode != 0) throw corrupt(record_no);
    // BCF carries the contig as an index into the header and POS as a 0-based int32; iterators
    // skip htslib's contig check, so check both here.
    if (!im.vcf_text) {
      if (rec->rid < 0 || rec->rid >= hdr->n[BCF_DT_CTG] || hdr->id[BCF_DT_CTG][rec->rid].key == nullptr)
        throw FormatError(where(record_no) + " names contig #" +
                          std::to_string(rec->rid) + ", which the header does not declare; the "
                          "file is corrupt (check it with `bcftools view " + path() + " > /dev/null`)");
      site.chrom = bcf_hdr_id2name(hdr, rec->rid);
      site.pos = rec->pos + 1;
      if (rec->pos < 0)
        throw FormatError(where(record_no) + " (" + site.chrom + ") has POS " +
                          std::to_string(site.pos) + ", not a positive integer; the file is "
                          "corrupt or was written by a broken tool");
    }
    if (rec->n_sample != static_cast<uint32_t>(sample_ids_.size())) {
      throw FormatError("'" + path() + "': record " + std::to_string(record_no) + " (" +
                        Site(site.chrom, site.pos) + ") has " + std::to_string(rec->n_sample) +
                        " sample columns but the header has " + std::to_string(sample_ids_.size()) +
                        "; the line is malformed or cut short");
    }
    ++records_;
    const char* drop = CheckOrder(im.order, options_, rec, site.chrom, site.pos, record_no, alleles);
    dropped.push_back(drop);
    if (decode_gt) {
      RawGtDecode gt;
      // Only records that decode-gt takes to its GT step: kept, and no site skip.
      const std::string_view alt = std::string_view(alleles).substr(alleles.find('\t') + 1);
      const size_t n = sample_ids_.size();
      block.codes.resize(raw->records.size() * n);
      if (drop == nullptr && SiteSkip(rec->n_allele, alt) == nullptr)
        gt = DecodeRawGt(reinterpret_cast<const uint8_t*>(rec->indiv.s), rec->indiv.l, rec->n_fmt,
                         n, im.header->gt_id, rec->n_allele, options_.haploid,
                         block.codes.data() + (raw->records.size() - 1) * n);
      raw->gt.push_back(gt);
      // The FORMAT bytes go back to the shared buffer: decode-gt acts on `gt` (or skips the
      // record before its GT). A record with no FORMAT fields left makes any later reader of
      // them find no GT (an error), never stale bytes.
      std::swap(rec->indiv, im.indiv);
      rec->indiv.l = 0;
      rec->n_fmt = 0;
    }
    if (im.last_chrom != site.chrom) im.last_chrom = site.chrom;
    im.last_pos = site.pos;
    Variant v;
    v.record = record_no;
    v.chrom = std::move(site.chrom);
    v.pos = site.pos;
    block.variants.push_back(std::move(v));
  }
  if (raw->records.empty()) return false;
  block.n_samples = sample_ids_.size();
  block.dropped = std::move(dropped);
  block.raw = raw;
  return true;
}

}  // namespace snpflow::io
