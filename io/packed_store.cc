#include "io/packed_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>
#include <unistd.h>
#include <libdeflate.h>
#include <zstd.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <string_view>
#include <type_traits>

#include "io/atomic_file.h"
#include "pipeline/error.h"

namespace snpflow::io {
namespace {

// File layout; docs/store-format.md is the reference for readers in other languages.
// Version 1: header, metadata, tile index, tiles. Version 2 (written now): header (with the
// metadata's offset), tiles, metadata, tile index, so that the tiles can go to the file as they
// are compressed instead of all being held until the sites are known. Both are read.
constexpr char kMagic[8] = {'S', 'N', 'P', 'F', 'L', 'O', 'W', '\x01'};
constexpr uint32_t kFormatVersion = 2;
constexpr size_t kHeaderBytes = 40;      // magic, version, tile_variants, 3 x u64
constexpr size_t kMetaHeaderBytes = 20;  // u64 compressed, u64 raw, u32 crc32
constexpr size_t kMetaOffsetBytes = 8;   // version 2: u64 offset of the metadata
constexpr size_t kV1HeadBytes = kHeaderBytes + kMetaHeaderBytes;
constexpr size_t kV2HeadBytes = kV1HeadBytes + kMetaOffsetBytes;
constexpr size_t kIndexEntryBytes = 28;  // u64 offset, u64 compressed, u64 raw, u32 crc32
constexpr size_t kFullTileBytes = PackedStore::kTileVariants / 4;
constexpr std::string_view kVariantsLine = "#variants";
constexpr const char* kRebuildHint = "; re-run `snpflow ingest` to rebuild the store";
// The most one compressed byte can expand to in the zstd format: a block is at most 128 KiB and
// the smallest block (an RLE block) takes 4 bytes. A size claimed beyond compressed * this is a
// lie, so Load refuses it before allocating anything.
constexpr uint64_t kMaxZstdRatio = ZSTD_BLOCKSIZE_MAX / 4;
// The shortest metadata lines: a sample id "x\n", a variant "\t1\t\t\t\n".
constexpr uint64_t kMinSampleLine = 2;
constexpr uint64_t kMinVariantLine = 6;

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint32_t GetU32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
uint64_t GetU64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// libdeflate's CRC-32 (the gzip/zlib polynomial: the same values as zlib's crc32) folds with
// PCLMUL: ~10x zlib 1.2's speed, which cost ~0.07 s per 229 MB store.
uint32_t Crc32(const uint8_t* data, size_t size) { return libdeflate_crc32(0, data, size); }

/// Owns a zstd compression context set up for store tiles (level + content checksum).
struct CompressContext {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  std::vector<uint8_t> scratch;  // a worst-case output buffer, reused across tiles
  explicit CompressContext(int level) {
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  }
  ~CompressContext() { ZSTD_freeCCtx(cctx); }
  CompressContext(const CompressContext&) = delete;
  CompressContext& operator=(const CompressContext&) = delete;
};

struct DecompressContext {
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  DecompressContext() = default;
  ~DecompressContext() { ZSTD_freeDCtx(dctx); }
  DecompressContext(const DecompressContext&) = delete;
  DecompressContext& operator=(const DecompressContext&) = delete;
};

/// Compress `size` bytes into `out` (resized to the compressed size); `what` names the section.
void Compress(CompressContext& ctx, const uint8_t* data, size_t size, std::vector<uint8_t>& out,
              const std::string& path, const std::string& what) {
  out.resize(ZSTD_compressBound(size));
  size_t n = ZSTD_compress2(ctx.cctx, out.data(), out.size(), data, size);
  if (ZSTD_isError(n))
    throw Error("cannot write '" + path + "': zstd failed on " + what + ": " +
                ZSTD_getErrorName(n));
  out.resize(n);
}

/// Decompress the single zstd frame `src` (n bytes), which must hold exactly `raw` bytes, into
/// `out`. The output grows with what the frame really produces, so a damaged or crafted `raw`
/// never allocates more than the data justifies. Returns "" or what is wrong.
std::string DecompressExact(ZSTD_DCtx* dctx, const uint8_t* src, size_t n, uint64_t raw,
                            std::vector<uint8_t>& out) {
  ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only);
  // Typical tiles compress 3-6x, so one allocation usually suffices.
  const uint64_t first = std::min<uint64_t>(raw, std::max<uint64_t>(uint64_t{n} * 16, 1 << 16));
  out.resize(static_cast<size_t>(first));
  ZSTD_inBuffer in{src, n, 0};
  size_t pos = 0;
  for (;;) {
    if (pos == out.size() && out.size() < raw)
      out.resize(static_cast<size_t>(std::min<uint64_t>(raw, uint64_t{out.size()} * 2)));
    // At `raw` bytes, offer one spare byte so that a frame holding more is caught.
    uint8_t spare = 0;
    const bool full = pos == out.size();
    ZSTD_outBuffer o{full ? &spare : out.data() + pos, full ? 1 : out.size() - pos, 0};
    const size_t left = ZSTD_decompressStream(dctx, &o, &in);
    if (ZSTD_isError(left)) return std::string("zstd: ") + ZSTD_getErrorName(left);
    if (full && o.pos > 0) return "decompressed to more than " + std::to_string(raw) + " bytes";
    pos += o.pos;
    if (left == 0) {
      if (pos != raw)
        return "decompressed to " + std::to_string(pos) + " bytes, expected " +
               std::to_string(raw);
      if (in.pos != in.size) return "unexpected bytes after the zstd frame";
      return "";
    }
    if (in.pos == in.size && o.pos < o.size) return "zstd frame is cut short";
  }
}

/// A read-only file opened for positioned reads (pread is safe from several threads).
class InFile {
 public:
  explicit InFile(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0)
      throw InputError("cannot open store '" + path + "': " + std::strerror(errno) +
                       "; check the path, or run `snpflow ingest` to build the store");
    struct stat st;
    if (::fstat(fd_, &st) != 0) {
      int err = errno;
      ::close(fd_);
      throw InputError("cannot read store '" + path + "': " + std::strerror(err));
    }
    size_ = static_cast<uint64_t>(st.st_size);
  }
  ~InFile() { ::close(fd_); }
  InFile(const InFile&) = delete;
  InFile& operator=(const InFile&) = delete;

  uint64_t size() const { return size_; }

  /// Read exactly `n` bytes at `offset`; the caller has checked that they are inside the file.
  void ReadAt(uint64_t offset, void* out, size_t n) const {
    auto* p = static_cast<uint8_t*>(out);
    while (n > 0) {
      ssize_t got = ::pread(fd_, p, n, static_cast<off_t>(offset));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0)
        throw InputError("cannot read store '" + path_ + "': " +
                         (got < 0 ? std::string(std::strerror(errno)) : "unexpected end of file"));
      p += got;
      offset += static_cast<uint64_t>(got);
      n -= static_cast<size_t>(got);
    }
  }

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

[[noreturn]] void ThrowTruncated(const std::string& path, uint64_t expected, uint64_t actual) {
  throw FormatError(path + ": truncated (expected " + std::to_string(expected) +
                    " bytes, file has " + std::to_string(actual) + ")" + kRebuildHint);
}

std::string TileName(size_t t, size_t n_tiles) {
  uint64_t first = uint64_t{t} * PackedStore::kTileVariants;
  return "tile " + std::to_string(t) + " of " + std::to_string(n_tiles) + " (variants " +
         std::to_string(first) + "-" + std::to_string(first + PackedStore::kTileVariants - 1) +
         ", counted from 0)";
}

bool HasChar(const std::string& s, char a, char b) {
  return s.find(a) != std::string::npos || s.find(b) != std::string::npos;
}

/// The metadata text's first part: the sample ids, then "#variants" (docs/store-format.md).
std::string SampleLines(const std::vector<std::string>& sample_ids, const std::string& path) {
  std::string text;
  for (const auto& id : sample_ids) {
    if (id.empty() || HasChar(id, '\n', '\r') || id == kVariantsLine)
      throw InputError("cannot write store '" + path + "': sample id '" + id +
                       "' is empty, contains a line break or is reserved; rename the sample");
    text += id;
    text += '\n';
  }
  text += kVariantsLine;
  text += '\n';
  return text;
}

/// Append the metadata's chrom\tpos\tid\tref\talt lines of `count` sites to `text`.
void AppendSiteLines(const SiteInfo* sites, size_t count, const std::string& path,
                     std::string& text) {
  char number[24];
  for (const SiteInfo* s = sites; s != sites + count; ++s) {
    for (const std::string* f : {&s->chrom, &s->id, &s->ref, &s->alt}) {
      if (HasChar(*f, '\t', '\n') || f->find('\r') != std::string::npos)
        throw InputError("cannot write store '" + path + "': variant " + s->chrom + ":" +
                         std::to_string(s->pos) + " has a tab or line break in a field");
    }
    text += s->chrom;
    text += '\t';
    text.append(number, std::to_chars(number, number + sizeof number, s->pos).ptr);
    text += '\t';
    text += s->id;
    text += '\t';
    text += s->ref;
    text += '\t';
    text += s->alt;
    text += '\n';
  }
}

/// Split the metadata text back into sample ids and sites, checking the counts from the header.
/// Every line is checked; only the sites of variants [keep_begin, keep_end) are kept.
void ParseMetadata(std::string_view text, uint64_t n_samples, uint64_t n_variants,
                   const std::string& path, std::vector<std::string>& sample_ids,
                   std::vector<SiteInfo>& sites, uint64_t keep_begin, uint64_t keep_end) {
  size_t line_no = 0;
  auto next_line = [&](std::string_view& line) {
    if (text.empty()) return false;
    size_t nl = text.find('\n');
    if (nl == std::string_view::npos)
      throw FormatError(path + ": metadata line " + std::to_string(line_no + 1) +
                        " has no line end" + kRebuildHint);
    line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    ++line_no;
    return true;
  };
  auto bad = [&](const std::string& what) {
    return FormatError(path + ": metadata line " + std::to_string(line_no) + ": " + what +
                       kRebuildHint);
  };
  std::string_view line;
  sample_ids.reserve(std::min<uint64_t>(n_samples, text.size()));
  for (uint64_t i = 0; i < n_samples; ++i) {
    if (!next_line(line))
      throw FormatError(path + ": metadata has " + std::to_string(i) + " sample ids, header says " +
                        std::to_string(n_samples) + kRebuildHint);
    sample_ids.emplace_back(line);
  }
  if (!next_line(line) || line != kVariantsLine)
    throw bad("expected '#variants' after " + std::to_string(n_samples) + " sample ids");
  sites.reserve(std::min<uint64_t>(keep_end - keep_begin, text.size() / 10 + 1));
  for (uint64_t i = 0; i < n_variants; ++i) {
    if (!next_line(line))
      throw FormatError(path + ": metadata has " + std::to_string(i) + " variants, header says " +
                        std::to_string(n_variants) + kRebuildHint);
    std::string_view fields[5];
    for (int f = 0; f < 5; ++f) {
      size_t tab = f < 4 ? line.find('\t') : line.size();
      if (tab == std::string_view::npos) throw bad("expected 5 tab-separated fields");
      fields[f] = line.substr(0, tab);
      line.remove_prefix(f < 4 ? tab + 1 : tab);
    }
    SiteInfo site;
    site.chrom.assign(fields[0]);
    const char* end = fields[1].data() + fields[1].size();
    auto [p, ec] = std::from_chars(fields[1].data(), end, site.pos);
    if (ec != std::errc() || p != end || fields[1].empty())
      throw bad("position '" + std::string(fields[1]) + "' is not an integer");
    site.id.assign(fields[2]);
    site.ref.assign(fields[3]);
    site.alt.assign(fields[4]);
    if (i >= keep_begin && i < keep_end) sites.push_back(std::move(site));
  }
  if (!text.empty()) throw bad("unexpected text after the last variant");
}

/// Writes a version-2 store file: room for the header, the tiles as they come, then the
/// metadata and the tile index, and the header last.
class StoreFileWriter {
 public:
  explicit StoreFileWriter(const std::string& path) : file_(path) {
    file_.Write(std::string(kV2HeadBytes, '\0'));
  }
  const std::string& path() const { return file_.path(); }
  size_t tiles() const { return tiles_; }
  void AddTile(const uint8_t* bytes, size_t size, uint64_t raw_size, uint32_t crc) {
    file_.Write(bytes, size);
    PutU64(index_, offset_);
    PutU64(index_, size);
    PutU64(index_, raw_size);
    PutU32(index_, crc);
    offset_ += size;
    ++tiles_;
  }
  /// Write the compressed metadata (`meta_raw` bytes of text), the index and the header; commit.
  void Finish(uint64_t n_samples, uint64_t n_variants, const std::vector<uint8_t>& meta,
              uint64_t meta_raw, const OnWritten& on_written) {
    const uint64_t meta_offset = offset_;
    file_.Write(meta.data(), meta.size());
    file_.Write(index_);
    std::string head;
    head.append(kMagic, sizeof(kMagic));
    PutU32(head, kFormatVersion);
    PutU32(head, PackedStore::kTileVariants);
    PutU64(head, n_samples);
    PutU64(head, n_variants);
    PutU64(head, tiles_);
    PutU64(head, meta.size());
    PutU64(head, meta_raw);
    PutU32(head, Crc32(meta.data(), meta.size()));
    PutU64(head, meta_offset);
    if (std::fseek(file_.file(), 0, SEEK_SET) != 0)
      throw InputError("cannot write '" + file_.path() + "': " + std::strerror(errno));
    file_.Write(head);
    file_.Commit(on_written);
  }

 private:
  AtomicFile file_;
  std::string index_;
  uint64_t offset_ = kV2HeadBytes;
  size_t tiles_ = 0;
};

}  // namespace

PackedStore::PackedStore(std::vector<std::string> sample_ids)
    : sample_ids_(std::move(sample_ids)) {}
// Tiles compressed while the store is built (CompressInBackground): one task per tile, results in
// tile order (a deque: adding one never moves the others). The tasks run in the arena of the
// thread that appends (the ingest graph's), sharing its threads as work comes: in an arena of
// their own they waited for a worker the graph kept busy, and ~100 raw tiles (90 MB at 3,450
// samples) were compressed only after the graph. Appending from outside any arena: an arena of
// `threads` threads. A tile is compressed once, by whichever thread claims it first: its task,
// or Save, which writes the tiles in order as they are done and meanwhile compresses the ones no
// task has begun.
struct PackedStore::Background {
  struct Tile {
    const uint8_t* data = nullptr;  // the raw tile (it stays put until compressed, or for good)
    size_t size = 0;
    std::vector<uint8_t> raw;  // keep_raw false: the raw tile itself, until compressed
    std::vector<uint8_t> bytes;  // the compressed tile: its first `length` bytes
    size_t length = 0;
    uint32_t crc = 0;
    std::string error;  // zstd's failure, reported by Save with the path
    std::atomic<bool> claimed{false};
    std::atomic<bool> done{false};  // set under `mutex`
  };
  int level;
  int threads;
  std::optional<tbb::task_arena> arena;  // set by the first Submit
  tbb::task_group group;
  tbb::enumerable_thread_specific<CompressContext> contexts;
  std::deque<Tile> tiles;
  std::mutex mutex;
  std::condition_variable compressed;
  bool keep_raw = true;
  using Buffers = std::vector<std::vector<uint8_t>>;
  std::mutex spare_mutex;  // guards both pools of spare buffers below
  Buffers spare;           // released raw buffers for the next open tiles
  // StreamTo: each tile is compressed straight into a worst-case buffer that comes back here once
  // the tile is written, so that a few buffers serve every tile (a copy at the compressed size,
  // and a fresh buffer's pages per tile, cost ~5 ms of CPU per 40K SNPs at 3,450 samples).
  bool recycle_output = false;
  Buffers spare_output;
  // StreamTo: the file that the compressed tiles go to, in order, as soon as they are done (by
  // the thread that appends, in WriteDone); each tile's bytes are freed once written.
  std::unique_ptr<StoreFileWriter> stream;
  bool streamed = false;  // Save took the stream: the written tiles' bytes are gone

  Background(int level, int threads, bool keep_raw)
      : level(level), threads(std::max(threads, 1)), contexts(level), keep_raw(keep_raw) {}
  tbb::task_arena& Arena() {
    if (!arena) {
      if (tbb::this_task_arena::current_thread_index() != tbb::task_arena::not_initialized)
        arena.emplace(tbb::task_arena::attach());
      else
        arena.emplace(threads);
    }
    return *arena;
  }
  ~Background() { Wait(); }
  // Compress `size` bytes at `data` (a raw tile the store keeps) or the raw tile `owned`.
  void Submit(const uint8_t* data, size_t size, std::vector<uint8_t> owned = {}) {
    Tile* tile = &tiles.emplace_back();
    tile->raw = std::move(owned);
    tile->data = tile->raw.empty() ? data : tile->raw.data();
    tile->size = size;
    Arena().execute([&] { group.run([this, tile] { TryCompress(*tile); }); });
  }
  // A buffer from `pool` (`spare` or `spare_output`; empty when it has none), and one back.
  std::vector<uint8_t> Take(Buffers& pool) {
    std::lock_guard<std::mutex> lock(spare_mutex);
    if (pool.empty()) return {};
    std::vector<uint8_t> buffer = std::move(pool.back());
    pool.pop_back();
    return buffer;
  }
  void Give(Buffers& pool, std::vector<uint8_t> buffer) {
    std::lock_guard<std::mutex> lock(spare_mutex);
    pool.push_back(std::move(buffer));
  }
  // Compress `tile` unless another thread has claimed it; false if one had.
  bool TryCompress(Tile& tile) {
    if (tile.claimed.exchange(true)) return false;
    // A streamed tile: into a recycled worst-case buffer, written from there. Otherwise into the
    // thread's scratch buffer, then copied at its compressed size (held until Save): no
    // zero-filled worst-case buffer per tile.
    CompressContext& ctx = contexts.local();
    std::vector<uint8_t>& out = recycle_output ? tile.bytes : ctx.scratch;
    if (recycle_output) out = Take(spare_output);
    out.resize(std::max(out.size(), ZSTD_compressBound(tile.size)));  // zeroed only when new
    const size_t n = ZSTD_compress2(ctx.cctx, out.data(), out.size(), tile.data, tile.size);
    if (ZSTD_isError(n)) {
      tile.error = std::string("zstd failed: ") + ZSTD_getErrorName(n);
    } else {
      if (!recycle_output) tile.bytes.assign(out.data(), out.data() + n);
      tile.length = n;
      tile.crc = Crc32(tile.bytes.data(), n);
    }
    if (!tile.raw.empty()) {
      tile.data = nullptr;
      Give(spare, std::move(tile.raw));
    }
    {
      std::lock_guard<std::mutex> lock(mutex);
      tile.done = true;
    }
    compressed.notify_all();
    return true;
  }
  // Return tile t once it is compressed, compressing unclaimed tiles from *ahead on meanwhile.
  const Tile& Next(size_t t, size_t* ahead) {
    TryCompress(tiles[t]);
    *ahead = std::max(*ahead, t + 1);
    while (!tiles[t].done && *ahead < tiles.size()) TryCompress(tiles[(*ahead)++]);
    std::unique_lock<std::mutex> lock(mutex);
    compressed.wait(lock, [&] { return tiles[t].done.load(); });
    return tiles[t];
  }
  void Wait() {
    if (arena) arena->execute([&] { group.wait(); });
  }
  // Write tile t (done) to `out`; throws its compression error. `release`: free its bytes once
  // written (a streamed store, whose file is their only other copy).
  void WriteTile(size_t t, StoreFileWriter& out, bool release) {
    Tile& tile = tiles[t];
    if (!tile.error.empty())
      throw Error("cannot write '" + out.path() + "': " + TileName(t, tiles.size()) + ": " +
                  tile.error);
    out.AddTile(tile.bytes.data(), tile.length, tile.size, tile.crc);
    if (!release) return;
    if (recycle_output) Give(spare_output, std::move(tile.bytes));
    tile.bytes = std::vector<uint8_t>();
  }
  // Write the tiles that are done to the stream, in order, up to the first that is not. Called
  // by the thread that submits tiles (the deque is only grown there).
  void WriteDone() {
    while (stream->tiles() < tiles.size() && tiles[stream->tiles()].done)
      WriteTile(stream->tiles(), *stream, /*release=*/true);
  }
};

void PackedStore::CompressInBackground(int level, int threads, bool keep_raw) {
  if (!tiles_.empty() || open_count_ > 0)
    throw Error("PackedStore::CompressInBackground called after the first variant");
  background_ = std::make_unique<Background>(level, threads, keep_raw);
}

void PackedStore::StreamTo(const std::string& path) {
  if (background_ == nullptr || background_->keep_raw)
    throw Error("PackedStore::StreamTo('" + path + "') needs CompressInBackground(level, threads, "
                "/*keep_raw=*/false) first");
  if (!tiles_.empty() || open_count_ > 0)
    throw Error("PackedStore::StreamTo called after the first variant");
  meta_text_ = SampleLines(sample_ids_, path);  // a bad sample id fails before any work
  background_->stream = std::make_unique<StoreFileWriter>(path);
  background_->recycle_output = true;  // before the first tile, whose compression reads it
}

void PackedStore::CloseTile(std::vector<uint8_t> tile) {
  if (background_ != nullptr && !background_->keep_raw) {
    tiles_.emplace_back();  // released: the background owns the raw tile until compressed
    const size_t size = tile.size();
    background_->Submit(nullptr, size, std::move(tile));
    if (background_->stream != nullptr) background_->WriteDone();
    return;
  }
  tiles_.push_back(std::move(tile));
  if (background_ != nullptr) background_->Submit(tiles_.back().data(), tiles_.back().size());
}

bool PackedStore::raw_released() const {
  return background_ != nullptr && !background_->keep_raw;
}

PackedStore::PackedStore() = default;
PackedStore::PackedStore(PackedStore&&) noexcept = default;
PackedStore& PackedStore::operator=(PackedStore&&) noexcept = default;
PackedStore::~PackedStore() = default;

namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the 64-bit code splicing assumes it");

uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// OR the `count` 2-bit codes of `src` starting at code `from` into `dst` starting at code `to`
// (whose bits are still zero), 28 codes per step. `src` must be readable
// PackedStore::kSlackBytes past its codes; `dst` is written only before `dst_end`.
void SpliceCodes(const uint8_t* src, size_t from, size_t count, uint8_t* dst, size_t to,
                 const uint8_t* dst_end) {
  size_t src_bit = 2 * from, dst_bit = 2 * to, left = 2 * count;
  while (left > 0) {
    const size_t take = std::min<size_t>(left, 56);
    const uint64_t bits = (Load64(src + src_bit / 8) >> (src_bit % 8)) & ((uint64_t{1} << take) - 1);
    uint8_t* d = dst + dst_bit / 8;
    if (d + 8 <= dst_end) {
      const uint64_t merged = Load64(d) | (bits << (dst_bit % 8));
      std::memcpy(d, &merged, sizeof merged);
    } else {  // the end of the tile: touch only the bytes the codes reach
      const size_t bytes = (dst_bit % 8 + take + 7) / 8;
      uint64_t merged = 0;
      std::memcpy(&merged, d, bytes);
      merged |= bits << (dst_bit % 8);
      std::memcpy(d, &merged, bytes);
    }
    src_bit += take;
    dst_bit += take;
    left -= take;
  }
}

}  // namespace

namespace {

// PackCodes for samples [i_begin, i_end) x groups of 4 variants [g_begin, g_end), a run of
// samples at a time: the run's output rows stay in L1 while each variant is read once.
// Returns the OR of every code read.
uint8_t PackRange(const uint8_t* const* variants, size_t count, size_t i_begin, size_t i_end,
                  size_t g_begin, size_t g_end, size_t row, uint8_t* out) {
  constexpr size_t kRun = 64;
  uint8_t byte[kRun];
  uint8_t seen = 0;
  static const uint8_t kZeros[kRun] = {};
  for (size_t i0 = i_begin; i0 < i_end; i0 += kRun) {
    const size_t m = std::min(kRun, i_end - i0);
    for (size_t g = g_begin; g < g_end; ++g) {
      const uint8_t* c[4];
      for (size_t k = 0; k < 4; ++k)
        c[k] = 4 * g + k < count ? variants[4 * g + k] + i0 : kZeros;
      for (size_t i = 0; i < m; ++i) {
        byte[i] = static_cast<uint8_t>(c[0][i] | (c[1][i] << 2) | (c[2][i] << 4) | (c[3][i] << 6));
        seen |= c[0][i] | c[1][i] | c[2][i] | c[3][i];
      }
      uint8_t* dst = out + i0 * row + g;
      for (size_t i = 0; i < m; ++i) dst[i * row] = byte[i];
    }
  }
  return seen;
}

#if defined(__SSE2__)
// 16 samples x 16 groups (64 variants): the packed byte of each group for the 16 samples in one
// vector each, then a 16 x 16 byte transpose (four rounds of interleaving rows i and i + 8), so
// that each sample's 16 bytes are stored at once. `c` holds the 64 variants' codes from the first
// sample on; `dst` is the first sample's row at the first group.
// `seen` gathers the OR of every code read.
void PackTile16(const uint8_t* const* c, uint8_t* dst, size_t row, __m128i* seen) {
  auto load = [](const uint8_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); };
  __m128i x[16], y[16];
  for (int g = 0; g < 16; ++g) {
    const __m128i c0 = load(c[4 * g]), c1 = load(c[4 * g + 1]), c2 = load(c[4 * g + 2]),
                  c3 = load(c[4 * g + 3]);
    *seen = _mm_or_si128(*seen, _mm_or_si128(_mm_or_si128(c0, c1), _mm_or_si128(c2, c3)));
    // Codes are at most 3 (else `seen` tells), so 16-bit shifts move no bit across a byte.
    x[g] = _mm_or_si128(_mm_or_si128(c0, _mm_slli_epi16(c1, 2)),
                        _mm_or_si128(_mm_slli_epi16(c2, 4), _mm_slli_epi16(c3, 6)));
  }
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 8; ++i) {
      y[2 * i] = _mm_unpacklo_epi8(x[i], x[i + 8]);
      y[2 * i + 1] = _mm_unpackhi_epi8(x[i], x[i + 8]);
    }
    std::copy(y, y + 16, x);
  }
  for (int s = 0; s < 16; ++s) _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + s * row), x[s]);
}
#endif

}  // namespace

uint8_t PackedStore::PackCodes(const uint8_t* const* variants, size_t count, size_t n_samples,
                               std::vector<uint8_t>& out) {
  out.resize(PackedBytes(count, n_samples));
  return PackCodes(variants, count, n_samples, out.data());
}

uint8_t PackedStore::PackCodes(const uint8_t* const* variants, size_t count, size_t n_samples,
                               uint8_t* out) {
  // A transpose: variant-major codes to sample-major rows of 2-bit codes. The 16 x 64 tiles and
  // the two ranges after them write every byte of the rows; the spare bytes are zeroed here.
  const size_t row = (count + 3) / 4;
  std::memset(out + n_samples * row, 0, kSlackBytes);
  size_t tiled_samples = 0, tiled_groups = 0;
  uint8_t seen = 0;
#if defined(__SSE2__)
  tiled_samples = n_samples / 16 * 16;
  tiled_groups = count / 64 * 16;
  const uint8_t* c[64];
  __m128i seen16 = _mm_setzero_si128();
  for (size_t g0 = 0; g0 < tiled_groups; g0 += 16) {
    for (size_t i0 = 0; i0 < tiled_samples; i0 += 16) {
      for (size_t k = 0; k < 64; ++k) c[k] = variants[4 * g0 + k] + i0;
      PackTile16(c, out + i0 * row + g0, row, &seen16);
    }
  }
  alignas(16) uint8_t lanes[16];
  _mm_store_si128(reinterpret_cast<__m128i*>(lanes), seen16);
  for (uint8_t lane : lanes) seen |= lane;
#endif
  // What the tiles leave: the last groups of the tiled samples, and every group of the rest.
  seen |= PackRange(variants, count, 0, tiled_samples, tiled_groups, row, row, out);
  seen |= PackRange(variants, count, tiled_samples, n_samples, 0, row, row, out);
  return seen;
}

void PackedStore::AppendVariant(const SiteInfo& site, const uint8_t* codes) {
  std::vector<uint8_t> packed;
  if (PackCodes(&codes, 1, num_samples(), packed) > 3)
    throw Error("PackedStore::AppendVariant: variant " + site.chrom + ":" +
                std::to_string(site.pos) + " has a genotype code above 3");
  AppendPacked(&site, 1, packed.data());
}

void PackedStore::AppendPacked(const SiteInfo* sites, size_t count, const uint8_t* packed) {
  if (finished_)
    throw Error("PackedStore::AppendVariant called after Finish() (variant " +
                (count > 0 ? sites[0].chrom + ":" + std::to_string(sites[0].pos) : "") + ")");
  // The sites first, so that a field the metadata cannot hold leaves the store as it was. A
  // store streaming to its file keeps their metadata lines instead (Save writes them).
  if (background_ != nullptr && background_->stream != nullptr) {
    const size_t size = meta_text_.size();
    try {
      AppendSiteLines(sites, count, background_->stream->path(), meta_text_);
    } catch (...) {
      meta_text_.resize(size);
      throw;
    }
  } else {
    sites_.insert(sites_.end(), sites, sites + count);
  }
  const size_t n = num_samples();
  const size_t row = (count + 3) / 4;
  size_t done = 0;
  while (done < count) {
    if (open_tile_.empty()) {
      if (background_ != nullptr) open_tile_ = background_->Take(background_->spare);
      // A spare buffer (a compressed tile's) keeps its pages and its old bytes: whole-byte copies
      // overwrite them, and they are zeroed before a first splice (below). Zeroing every tile
      // up front cost ~2 ms of the serial tail per 40K SNPs at 3,450 samples.
      open_tile_zeroed_ = open_tile_.size() != n * kFullTileBytes;
      if (open_tile_zeroed_) open_tile_.assign(n * kFullTileBytes, 0);
    }
    const size_t take = std::min(count - done, size_t{kTileVariants} - open_count_);
    uint8_t* const tile_end = open_tile_.data() + open_tile_.size();
    // Both positions on a byte boundary (every block of the store sink whose kept count is a
    // multiple of 4, e.g. all kept): whole bytes are copied, the codes of a last partial byte
    // spliced.
    const size_t whole = done % 4 == 0 && open_count_ % 4 == 0 ? take / 4 : 0;
    if (4 * whole < take && !open_tile_zeroed_) {
      // Splicing ORs codes into zero bits. Until now only whole bytes were copied: the bytes
      // before open_count_ / 4 of each row are the tile's, the rest are stale.
      for (size_t i = 0; i < n; ++i)
        std::memset(open_tile_.data() + i * kFullTileBytes + open_count_ / 4, 0,
                    kFullTileBytes - open_count_ / 4);
      open_tile_zeroed_ = true;
    }
    // The usual steps, a block of 128 or 256 kept variants (VariantBlock::VariantsFor): a
    // fixed-size copy per row, inlined (a memcpy call per row of a 128-variant block cost ~30 ms
    // of the serial tail per 315K SNPs at 3,450 samples).
    const auto copy_rows = [&](auto bytes) {
      for (size_t i = 0; i < n; ++i)
        std::memcpy(open_tile_.data() + i * kFullTileBytes + open_count_ / 4,
                    packed + i * row + done / 4, decltype(bytes)::value);
    };
    if (4 * whole == take && whole == 64) {
      copy_rows(std::integral_constant<size_t, 64>());
    } else if (4 * whole == take && whole == 32) {
      copy_rows(std::integral_constant<size_t, 32>());
    } else {
      for (size_t i = 0; i < n; ++i) {
        uint8_t* dst = open_tile_.data() + i * kFullTileBytes;
        if (whole > 0) std::memcpy(dst + open_count_ / 4, packed + i * row + done / 4, whole);
        if (4 * whole < take)
          SpliceCodes(packed + i * row, done + 4 * whole, take - 4 * whole, dst,
                      open_count_ + 4 * whole, tile_end);
      }
    }
    open_count_ += take;
    done += take;
    if (open_count_ == kTileVariants) {
      CloseTile(std::move(open_tile_));
      open_tile_ = std::vector<uint8_t>();
      open_count_ = 0;
    }
  }
  n_variants_ += count;
}

void PackedStore::Finish() {
  if (finished_) return;
  if (open_count_ > 0) {
    const size_t n = num_samples();
    const size_t bytes = (open_count_ + 3) / 4;
    std::vector<uint8_t> tile(n * bytes);
    for (size_t i = 0; i < n; ++i)
      std::memcpy(tile.data() + i * bytes, open_tile_.data() + i * kFullTileBytes, bytes);
    CloseTile(std::move(tile));
  }
  // Release the capacity too (`= {}` would keep it).
  open_tile_ = std::vector<uint8_t>();
  open_count_ = 0;
  finished_ = true;
}

void PackedStore::ReadRow(size_t sample, uint8_t* out) const {
  if (!finished_) throw Error("PackedStore::ReadRow called before Finish()");
  if (raw_released()) throw Error("PackedStore::ReadRow: the raw tiles were released");
  if (sample >= num_samples())
    throw Error("PackedStore::ReadRow: sample " + std::to_string(sample) + " out of range (" +
                std::to_string(num_samples()) + " samples)");
  const size_t n = num_samples();
  for (const auto& tile : tiles_) {
    const size_t bytes = tile.size() / n;
    std::memcpy(out, tile.data() + sample * bytes, bytes);
    out += bytes;
  }
}

uint8_t PackedStore::code(size_t sample, size_t variant) const {
  if (sample >= num_samples() || variant >= num_variants())
    throw Error("PackedStore::code: (" + std::to_string(sample) + ", " + std::to_string(variant) +
                ") out of range (" + std::to_string(num_samples()) + " samples, " +
                std::to_string(num_variants()) + " variants)");
  if (raw_released()) throw Error("PackedStore::code: the raw tiles were released");
  const size_t t = variant / kTileVariants, j = variant % kTileVariants;
  // Before Finish() the last variants are still in the open tile (full-tile stride).
  const bool open = t == tiles_.size();
  const uint8_t* tile = open ? open_tile_.data() : tiles_[t].data();
  const size_t bytes = open ? kFullTileBytes : tiles_[t].size() / num_samples();
  return (tile[sample * bytes + j / 4] >> (2 * (j % 4))) & 3u;
}

size_t PackedStore::memory_bytes() const {
  size_t total = open_tile_.capacity();
  for (const auto& tile : tiles_) total += tile.capacity();
  return total;
}

void PackedStore::Save(const std::string& path, int zstd_level, const OnWritten& on_written) const {
  if (!finished_) throw Error("PackedStore::Save('" + path + "') called before Finish()");
  const size_t n_tiles = tiles_.size();
  if (raw_released() && background_->level != zstd_level)
    throw Error("PackedStore::Save('" + path + "'): the raw tiles were released; only level " +
                std::to_string(background_->level) + " can be written");
  std::unique_ptr<StoreFileWriter> file;
  if (background_ != nullptr && background_->stream != nullptr) {
    if (background_->stream->path() != path)
      throw Error("PackedStore::Save('" + path + "'): the store streams to '" +
                  background_->stream->path() + "'");
    file = std::move(background_->stream);  // its tiles so far are written
    background_->streamed = true;
  } else {
    if (background_ != nullptr && background_->streamed)
      throw Error("PackedStore::Save('" + path + "'): the store was streamed to its file and "
                  "saved; its tiles are gone");
    file = std::make_unique<StoreFileWriter>(path);
  }
  const bool streamed = background_ != nullptr && background_->streamed;
  struct Meta {
    std::vector<uint8_t> bytes;
    size_t raw = 0;
  };
  auto compress_meta = [&](CompressContext& ctx) {
    std::string built;
    if (!streamed) {
      built = SampleLines(sample_ids_, path);
      AppendSiteLines(sites_.data(), sites_.size(), path, built);
    }
    const std::string& text = streamed ? meta_text_ : built;  // streamed: its lines came as built
    Meta meta;
    meta.raw = text.size();
    Compress(ctx, reinterpret_cast<const uint8_t*>(text.data()), text.size(), meta.bytes, path,
             "the metadata");
    return meta;
  };
  Meta meta;
  if (background_ != nullptr && background_->level == zstd_level) {
    // The tiles were compressed while the store was built, but for the last few. The metadata,
    // the longest step left (~3 ms per MB of text), goes first, on this thread and with its warm
    // context, while the background finishes them: on a thread of its own it started ~1.5 ms
    // late at the end of an ingest, behind the other files' threads. Then the tiles are written
    // in order as they are done.
    meta = compress_meta(background_->contexts.local());
    size_t ahead = 0;
    for (size_t t = file->tiles(); t < n_tiles; ++t) {
      background_->Next(t, &ahead);
      background_->WriteTile(t, *file, /*release=*/streamed);
    }
  } else {
    // Every tile to compress: the metadata is built and compressed beside them.
    std::future<Meta> meta_done = std::async(std::launch::async, [&] {
      CompressContext meta_ctx(zstd_level);
      return compress_meta(meta_ctx);
    });
    tbb::enumerable_thread_specific<CompressContext> contexts(zstd_level);
    constexpr size_t kBatchTiles = 32;
    std::vector<std::vector<uint8_t>> compressed(std::min(n_tiles, kBatchTiles));
    std::vector<uint32_t> crcs(compressed.size());
    for (size_t begin = 0; begin < n_tiles; begin += kBatchTiles) {
      const size_t end = std::min(n_tiles, begin + kBatchTiles);
      tbb::parallel_for(begin, end, [&](size_t t) {
        auto& out = compressed[t - begin];
        Compress(contexts.local(), tiles_[t].data(), tiles_[t].size(), out, path,
                 TileName(t, n_tiles));
        crcs[t - begin] = Crc32(out.data(), out.size());
      });
      for (size_t t = begin; t < end; ++t)
        file->AddTile(compressed[t - begin].data(), compressed[t - begin].size(), tiles_[t].size(),
                      crcs[t - begin]);
    }
    meta = meta_done.get();
  }
  file->Finish(num_samples(), num_variants(), meta.bytes, meta.raw, on_written);
}

namespace {

/// The fixed-size header of a store, checked (magic, version, tile size, tile count).
struct StoreHeader {
  uint32_t version = 0;
  uint64_t n_samples = 0, n_variants = 0, n_tiles = 0;
  uint64_t meta_size = 0, meta_raw = 0;
  uint32_t meta_crc = 0;
  uint64_t meta_offset = 0;  // version 1: right after the header
};

StoreHeader ReadHeader(const InFile& in, const std::string& path) {
  const uint64_t file_size = in.size();
  uint8_t head[kV2HeadBytes];
  const size_t head_got = static_cast<size_t>(std::min<uint64_t>(file_size, sizeof(head)));
  in.ReadAt(0, head, head_got);
  const size_t magic_got = std::min(head_got, sizeof(kMagic));
  if (std::memcmp(head, kMagic, magic_got) != 0 || head_got == 0)
    throw FormatError(path +
                      ": not a snpflow store (bad magic); pass a file written by "
                      "`snpflow ingest`");
  if (head_got < kV1HeadBytes) ThrowTruncated(path, kV1HeadBytes, file_size);

  const uint32_t version = GetU32(head + 8);
  if (version > kFormatVersion)
    throw FormatError(path + ": format version " + std::to_string(version) +
                      " is newer than this snpflow (" + std::to_string(kFormatVersion) +
                      "); upgrade snpflow or re-run `snpflow ingest` with this one");
  if (version == 0) throw FormatError(path + ": format version 0 is invalid" + kRebuildHint);
  const size_t head_bytes = version == 1 ? kV1HeadBytes : kV2HeadBytes;
  if (head_got < head_bytes) ThrowTruncated(path, head_bytes, file_size);
  const uint32_t tile_variants = GetU32(head + 12);
  if (tile_variants != PackedStore::kTileVariants)
    throw FormatError(path + ": tile size " + std::to_string(tile_variants) +
                      " variants is not supported (expected " +
                      std::to_string(PackedStore::kTileVariants) + ")" + kRebuildHint);
  StoreHeader h;
  h.n_samples = GetU64(head + 16);
  h.n_variants = GetU64(head + 24);
  h.n_tiles = GetU64(head + 32);
  constexpr uint64_t kTile = PackedStore::kTileVariants;
  if (h.n_tiles != h.n_variants / kTile + (h.n_variants % kTile != 0 ? 1 : 0))
    throw FormatError(path + ": header says " + std::to_string(h.n_variants) + " variants in " +
                      std::to_string(h.n_tiles) + " tiles, which does not fit" + kRebuildHint);
  h.version = version;
  h.meta_size = GetU64(head + 40);
  h.meta_raw = GetU64(head + 48);
  h.meta_crc = GetU32(head + 56);
  h.meta_offset = version == 1 ? kV1HeadBytes : GetU64(head + kV1HeadBytes);
  return h;
}

}  // namespace

uint64_t PackedStore::ReadNumVariants(const std::string& path) {
  InFile in(path);
  return ReadHeader(in, path).n_variants;
}

PackedStore PackedStore::Load(const std::string& path) {
  return LoadRange(path, 0, 0, /*to_end=*/true);
}

PackedStore PackedStore::LoadVariantRange(const std::string& path, uint64_t begin, uint64_t end) {
  return LoadRange(path, begin, end, /*to_end=*/false);
}

PackedStore PackedStore::LoadRange(const std::string& path, uint64_t begin, uint64_t end,
                                   bool to_end) {
  InFile in(path);
  const uint64_t file_size = in.size();
  const StoreHeader h = ReadHeader(in, path);
  const uint64_t n_samples = h.n_samples, n_variants = h.n_variants, n_tiles = h.n_tiles;
  if (to_end) end = n_variants;
  if (begin % 4 != 0 || begin > end || end > n_variants)
    throw Error("PackedStore::LoadVariantRange('" + path + "'): variants [" +
                std::to_string(begin) + ", " + std::to_string(end) +
                ") are not a range of the store's " + std::to_string(n_variants) +
                " variants starting at a multiple of 4");

  const uint64_t meta_size = h.meta_size, meta_raw = h.meta_raw;
  const uint64_t meta_offset = h.meta_offset;
  // Version 2 puts the tiles between the header and the metadata.
  const uint64_t tiles_begin = h.version == 1 ? 0 : kV2HeadBytes;
  if (meta_offset < tiles_begin)
    throw FormatError(path + ": header field meta_offset = " + std::to_string(meta_offset) +
                      " cannot be right (the metadata follows the " +
                      std::to_string(kV2HeadBytes) + "-byte header)" + kRebuildHint);
  // A file cut short loses its metadata and index first (they are written last).
  if (meta_offset > file_size) ThrowTruncated(path, meta_offset, file_size);
  // Bounded loading: every count and size in the header is checked against the file size
  // (without overflow) before anything is allocated, so a damaged or crafted header fails here
  // instead of making us allocate what it claims. The chain: meta_size <= file size, meta_raw <=
  // meta_size * kMaxZstdRatio, n_samples and n_variants <= what meta_raw bytes of lines can
  // hold, and each tile's raw size <= its compressed size * kMaxZstdRatio (checked below).
  if (meta_size > file_size - meta_offset)
    ThrowTruncated(path, meta_offset + meta_size, file_size);
  auto bad_field = [&](const std::string& field, uint64_t value, const std::string& why) {
    return FormatError(path + ": header field " + field + " = " + std::to_string(value) +
                       " cannot be right for this " + std::to_string(file_size) + "-byte file (" +
                       why + ")" + kRebuildHint);
  };
  if (meta_raw > meta_size * kMaxZstdRatio)
    throw bad_field("meta_raw_size", meta_raw,
                    "more than a " + std::to_string(meta_size) + "-byte zstd frame can hold");
  if (n_samples > meta_raw / kMinSampleLine)
    throw bad_field("n_samples", n_samples,
                    "more sample ids than " + std::to_string(meta_raw) + " bytes of metadata hold");
  if (n_variants > meta_raw / kMinVariantLine ||
      n_samples * kMinSampleLine + kVariantsLine.size() + 1 + n_variants * kMinVariantLine >
          meta_raw)
    throw bad_field("n_variants", n_variants,
                    "more variant lines than " + std::to_string(meta_raw) +
                        " bytes of metadata hold");
  const uint64_t index_offset = meta_offset + meta_size;
  if (n_tiles > (file_size - index_offset) / kIndexEntryBytes)
    ThrowTruncated(path, index_offset + n_tiles * kIndexEntryBytes, file_size);
  // Where the tiles lie: after the index (version 1), or between the header and the metadata.
  const uint64_t payload_offset =
      h.version == 1 ? index_offset + n_tiles * kIndexEntryBytes : tiles_begin;
  const uint64_t payload_end = h.version == 1 ? file_size : meta_offset;

  // The whole index is checked, whatever the range: it is small (28 bytes a tile).
  std::vector<uint8_t> index(n_tiles * kIndexEntryBytes);
  in.ReadAt(index_offset, index.data(), index.size());
  struct TileEntry {
    uint64_t offset, size, raw;
    uint32_t crc;
  };
  std::vector<TileEntry> entries(n_tiles);
  uint64_t expected_end = payload_offset;
  uint64_t payload_bytes = 0;  // sum of the compressed sizes: tiles never overlap
  for (uint64_t t = 0; t < n_tiles; ++t) {
    const uint8_t* e = index.data() + t * kIndexEntryBytes;
    entries[t] = {GetU64(e), GetU64(e + 8), GetU64(e + 16), GetU32(e + 24)};
    const auto& entry = entries[t];
    if (entry.offset < payload_offset || entry.offset > UINT64_MAX - entry.size)
      throw FormatError(path + ": index entry for " + TileName(t, n_tiles) +
                        " is corrupted (offset " + std::to_string(entry.offset) + ", size " +
                        std::to_string(entry.size) + ")" + kRebuildHint);
    expected_end = std::max(expected_end, entry.offset + entry.size);
    if (expected_end > file_size) ThrowTruncated(path, expected_end, file_size);
    if (entry.offset + entry.size > payload_end)
      throw FormatError(path + ": index entry for " + TileName(t, n_tiles) +
                        " is corrupted (offset " + std::to_string(entry.offset) + ", size " +
                        std::to_string(entry.size) + " reaches into the metadata at " +
                        std::to_string(payload_end) + ")" + kRebuildHint);
    payload_bytes += entry.size;  // each size <= file_size (just checked): no overflow
    if (payload_bytes > payload_end - payload_offset)
      throw FormatError(path + ": index entry for " + TileName(t, n_tiles) +
                        " is corrupted (the tiles' sizes add up to more than the " +
                        std::to_string(payload_end - payload_offset) + " bytes " +
                        (h.version == 1 ? "after the index" : "before the metadata") + ")" +
                        kRebuildHint);
    const uint64_t variants = std::min<uint64_t>(kTileVariants, n_variants - t * kTileVariants);
    const uint64_t want_raw = n_samples * ((variants + 3) / 4);  // n_samples < 2^63 (see above)
    if (entry.raw != want_raw)
      throw FormatError(path + ": index entry for " + TileName(t, n_tiles) + " says " +
                        std::to_string(entry.raw) + " bytes, expected " + std::to_string(want_raw) +
                        kRebuildHint);
    if (entry.raw > entry.size * kMaxZstdRatio)
      throw FormatError(path + ": index entry for " + TileName(t, n_tiles) + " says " +
                        std::to_string(entry.raw) + " bytes, more than its " +
                        std::to_string(entry.size) + "-byte zstd frame can hold" + kRebuildHint);
  }

  // Metadata: checksum, then decompress, then parse (all of it; only the range's sites are kept).
  std::vector<uint8_t> meta(meta_size);
  in.ReadAt(meta_offset, meta.data(), meta.size());
  if (Crc32(meta.data(), meta.size()) != h.meta_crc)
    throw FormatError(path +
                      ": metadata (sample ids and variant table) is corrupted (checksum "
                      "mismatch)" +
                      kRebuildHint);
  const unsigned long long frame_size = ZSTD_getFrameContentSize(meta.data(), meta.size());
  if (frame_size != meta_raw)
    throw FormatError(path + ": metadata is corrupted (size " + std::to_string(meta_raw) +
                      " in the header does not match the zstd frame)" + kRebuildHint);
  std::vector<uint8_t> text;
  {
    DecompressContext context;
    const std::string why = DecompressExact(context.dctx, meta.data(), meta.size(), meta_raw, text);
    if (!why.empty())
      throw FormatError(path + ": metadata is corrupted (" + why + ")" + kRebuildHint);
  }
  meta = std::vector<uint8_t>();

  PackedStore store;
  ParseMetadata(std::string_view(reinterpret_cast<const char*>(text.data()), text.size()),
                n_samples, n_variants, path, store.sample_ids_, store.sites_, begin, end);
  store.n_variants_ = store.sites_.size();
  text = std::vector<uint8_t>();  // free it: the tiles are the big allocation
  store.finished_ = true;
  if (begin == end) return store;

  // Tiles: only those overlapping [begin, end) are read, checked and decompressed, in parallel.
  // The store's tile k holds variants begin + k * kTileVariants on. A source tile that is one of
  // them whole (begin at a tile boundary) is decompressed in place; any other is decompressed
  // into a buffer and its rows' bytes of the range copied out (begin is a multiple of 4, so
  // every piece starts on a byte).
  const uint64_t n_out = end - begin;
  const uint64_t out_tiles = (n_out + kTileVariants - 1) / kTileVariants;
  auto out_row_bytes = [&](uint64_t k) {
    return (std::min<uint64_t>(kTileVariants, n_out - k * kTileVariants) + 3) / 4;
  };
  const uint64_t first = begin / kTileVariants, last = (end - 1) / kTileVariants;
  auto direct = [&](uint64_t t) {
    return begin % kTileVariants == 0 &&
           std::min<uint64_t>((t + 1) * kTileVariants, n_variants) <= end;
  };
  store.tiles_.resize(out_tiles);
  for (uint64_t k = 0; k < out_tiles; ++k)
    if (!direct(first + k))
      store.tiles_[k].assign(n_samples * out_row_bytes(k), 0);  // <= the source tiles' raw sizes
  std::vector<std::string> errors(last - first + 1);
  tbb::enumerable_thread_specific<DecompressContext> contexts;
  tbb::enumerable_thread_specific<std::vector<uint8_t>> buffers, raws;
  tbb::parallel_for(first, last + 1, [&](uint64_t t) {
    const auto& entry = entries[t];
    std::string& error = errors[t - first];
    auto& buffer = buffers.local();
    buffer.resize(entry.size);
    in.ReadAt(entry.offset, buffer.data(), buffer.size());
    if (Crc32(buffer.data(), buffer.size()) != entry.crc) {
      error = "checksum mismatch";
      return;
    }
    if (direct(t)) {
      error = DecompressExact(contexts.local().dctx, buffer.data(), buffer.size(), entry.raw,
                              store.tiles_[t - first]);
      return;
    }
    auto& raw = raws.local();
    error = DecompressExact(contexts.local().dctx, buffer.data(), buffer.size(), entry.raw, raw);
    if (!error.empty()) return;
    const uint64_t tile_first = t * kTileVariants;
    const size_t src_row = static_cast<size_t>(entry.raw / std::max<uint64_t>(n_samples, 1));
    uint64_t lo = std::max(begin, tile_first);
    const uint64_t hi = std::min(end, tile_first + kTileVariants);
    while (lo < hi) {  // at most two pieces: the range's tiles need not start at tile boundaries
      const uint64_t k = (lo - begin) / kTileVariants;
      const uint64_t piece_end = std::min(hi, begin + (k + 1) * kTileVariants);
      const size_t src_at = static_cast<size_t>((lo - tile_first) / 4);
      const size_t dst_at = static_cast<size_t>((lo - begin - k * kTileVariants) / 4);
      const size_t bytes = static_cast<size_t>((piece_end - lo + 3) / 4);
      const size_t dst_row = static_cast<size_t>(out_row_bytes(k));
      uint8_t* dst = store.tiles_[k].data();
      for (uint64_t i = 0; i < n_samples; ++i)
        std::memcpy(dst + i * dst_row + dst_at, raw.data() + i * src_row + src_at, bytes);
      lo = piece_end;
    }
  });
  for (uint64_t t = first; t <= last; ++t) {
    if (!errors[t - first].empty())
      throw FormatError(path + ": " + TileName(t, n_tiles) + " is corrupted (" +
                        errors[t - first] + ")" + kRebuildHint);
  }
  // A range ending inside a byte: clear the codes past its end, as a store built with only
  // these variants has them.
  if (n_out % 4 != 0) {
    auto& tile = store.tiles_.back();
    const size_t row = static_cast<size_t>(out_row_bytes(out_tiles - 1));
    const uint8_t mask = static_cast<uint8_t>((1u << (2 * (n_out % 4))) - 1);
    for (uint64_t i = 0; i < n_samples; ++i) tile[i * row + row - 1] &= mask;
  }
  return store;
}

}  // namespace snpflow::io
