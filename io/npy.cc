#include "io/npy.h"

#include <zstd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <string_view>

#include "pipeline/error.h"

namespace snpflow::io {
namespace {

constexpr char kNpyMagic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};
constexpr uint32_t kZstdMagic = 0xFD2FB528u;
constexpr size_t kHeaderAlign = 64;
constexpr int kZstdLevel = 3;

/// Return the element size of a simple dtype ("<f4" -> 4), or 0 if it is not one we handle:
/// a byte-order char, a kind among b/i/u/f/c, then the size in digits.
size_t ItemSize(std::string_view dtype) {
  if (dtype.size() < 3) return 0;
  if (std::string_view("<>|=").find(dtype[0]) == std::string_view::npos) return 0;
  if (std::string_view("biufc").find(dtype[1]) == std::string_view::npos) return 0;
  size_t size = 0;
  for (char c : dtype.substr(2)) {
    if (!std::isdigit(static_cast<unsigned char>(c)) || size > 1000) return 0;
    size = size * 10 + static_cast<size_t>(c - '0');
  }
  return size;
}

/// prod(shape) * itemsize, or false on overflow.
bool ByteCount(const std::vector<uint64_t>& shape, size_t itemsize, uint64_t* bytes) {
  uint64_t total = itemsize;
  for (uint64_t d : shape) {
    if (d != 0 && total > std::numeric_limits<uint64_t>::max() / d) return false;
    total *= d;
  }
  *bytes = total;
  return true;
}

std::string ShapeText(const std::vector<uint64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

/// The full format-1.0 preamble: magic, version, header length, padded dict ending in '\n'.
/// `min_total`: pad to at least this many bytes (a header rewritten in place keeps its size).
std::string NpyHeader(const std::string& dtype, const std::vector<uint64_t>& shape,
                      const std::string& path, size_t min_total = 0) {
  std::string dict =
      "{'descr': '" + dtype + "', 'fortran_order': False, 'shape': " + ShapeText(shape) + ", }";
  const size_t preamble = sizeof(kNpyMagic) + 2 + 2;
  size_t total = preamble + dict.size() + 1;
  total = (total + kHeaderAlign - 1) / kHeaderAlign * kHeaderAlign;
  total = std::max(total, min_total);
  const size_t header_len = total - preamble;
  if (header_len > 0xffff)
    throw Error("cannot write '" + path + "': the .npy header for shape " + ShapeText(shape) +
                " is too long for format 1.0");
  dict.append(header_len - dict.size() - 1, ' ');
  dict += '\n';
  std::string out(kNpyMagic, sizeof(kNpyMagic));
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header_len & 0xff);
  out += static_cast<char>(header_len >> 8);
  return out + dict;
}

}  // namespace

struct NpyWriter::Impl {
  Impl(std::string path_in, std::string dtype_in, std::vector<uint64_t> shape_in, bool zstd)
      : path(std::move(path_in)), dtype(std::move(dtype_in)), shape(std::move(shape_in)) {
    const size_t itemsize = ItemSize(dtype);
    if (itemsize == 0)
      throw Error("cannot write '" + path + "': unsupported dtype '" + dtype +
                  "' (use e.g. '|u1', '<u2', '<i8', '<f4')");
    open_axis = !shape.empty() && shape[0] == kOpenFirstAxis;
    if (open_axis && zstd)
      throw Error("cannot write '" + path + "': an open first axis needs a plain .npy");
    std::vector<uint64_t> row_shape = shape;
    if (open_axis) row_shape[0] = 1;
    if (!ByteCount(row_shape, itemsize, &expected))
      throw Error("cannot write '" + path + "': shape " + ShapeText(shape) + " is too large");
    if (open_axis) {
      row_bytes = expected;
      expected = UINT64_MAX;
    }
    // An open axis is written as its largest value, so the final header fits the same bytes.
    header = NpyHeader(dtype, shape, path);
    file = std::make_unique<AtomicFile>(path);
    if (zstd) {
      cstream = ZSTD_createCStream();
      ZSTD_CCtx_setParameter(cstream, ZSTD_c_compressionLevel, kZstdLevel);
      ZSTD_CCtx_setParameter(cstream, ZSTD_c_checksumFlag, 1);
      // The frame header records the total size, so decompressors can allocate once.
      ZSTD_CCtx_setPledgedSrcSize(cstream, header.size() + expected);
      out.resize(ZSTD_CStreamOutSize());
    }
    Emit(header.data(), header.size(), /*end=*/false);
  }
  ~Impl() {
    if (cstream != nullptr) ZSTD_freeCStream(cstream);
  }

  /// Send bytes to the file, through the zstd stream when compressing.
  void Emit(const void* data, size_t size, bool end) {
    if (cstream == nullptr) {
      file->Write(data, size);
      return;
    }
    ZSTD_inBuffer in{data, size, 0};
    const ZSTD_EndDirective mode = end ? ZSTD_e_end : ZSTD_e_continue;
    for (;;) {
      ZSTD_outBuffer o{out.data(), out.size(), 0};
      const size_t left = ZSTD_compressStream2(cstream, &o, &in, mode);
      if (ZSTD_isError(left))
        throw Error("cannot write '" + path + "': zstd: " + ZSTD_getErrorName(left));
      file->Write(out.data(), o.pos);
      if (end ? left == 0 : in.pos == in.size) break;
    }
  }

  std::string path, dtype;
  std::vector<uint64_t> shape;
  bool open_axis = false;  // shape[0] is kOpenFirstAxis
  uint64_t row_bytes = 0;  // open_axis: bytes of one row (shape[0] == 1)
  uint64_t expected = 0;  // data bytes (open_axis: UINT64_MAX)
  uint64_t written = 0;
  std::string header;
  std::unique_ptr<AtomicFile> file;
  ZSTD_CStream* cstream = nullptr;
  std::vector<char> out;
  bool committed = false;
};

NpyWriter::NpyWriter(std::string path, std::string dtype, std::vector<uint64_t> shape,
                     bool compress_zstd)
    : impl_(std::make_unique<Impl>(std::move(path), std::move(dtype), std::move(shape),
                                   compress_zstd)) {}

NpyWriter::~NpyWriter() = default;

void NpyWriter::Write(const void* data, size_t bytes) {
  Impl& m = *impl_;
  if (m.committed) throw Error("NpyWriter::Write('" + m.path + "') called after Commit()");
  if (bytes > m.expected - m.written)
    throw Error("cannot write '" + m.path + "': more than the " + std::to_string(m.expected) +
                " data bytes of shape " + ShapeText(m.shape) + " x " + m.dtype);
  m.Emit(data, bytes, /*end=*/false);
  m.written += bytes;
}

void NpyWriter::Commit(const OnWritten& on_written) {
  Impl& m = *impl_;
  if (m.committed) return;
  if (m.open_axis) {
    if (m.row_bytes != 0 && m.written % m.row_bytes != 0)
      throw Error("cannot write '" + m.path + "': " + std::to_string(m.written) +
                  " data bytes are not whole rows of " + std::to_string(m.row_bytes));
    m.shape[0] = m.row_bytes == 0 ? 0 : m.written / m.row_bytes;
    const std::string header = NpyHeader(m.dtype, m.shape, m.path, m.header.size());
    if (header.size() != m.header.size() || std::fseek(m.file->file(), 0, SEEK_SET) != 0)
      throw Error("cannot write '" + m.path + "': could not rewrite the .npy header");
    m.file->Write(header);
    m.expected = m.written;
  }
  if (m.written != m.expected)
    throw Error("cannot write '" + m.path + "': got " + std::to_string(m.written) +
                " data bytes, shape " + ShapeText(m.shape) + " x " + m.dtype + " needs " +
                std::to_string(m.expected));
  if (m.cstream != nullptr) m.Emit(nullptr, 0, /*end=*/true);
  m.file->Commit(on_written);
  m.committed = true;
}

void WriteNpy(const std::string& path, const std::string& dtype, const std::vector<uint64_t>& shape,
              const void* data, size_t bytes) {
  NpyWriter writer(path, dtype, shape);
  writer.Write(data, bytes);
  writer.Commit();
}

namespace {

/// Parses the header dict NumPy writes: {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& path) : text_(text), path_(path) {}

  /// Position just after `'key':` (and spaces), or throw.
  size_t After(std::string_view key) const {
    const std::string quoted = "'" + std::string(key) + "'";
    size_t at = text_.find(quoted);
    if (at == std::string_view::npos) Fail("no '" + std::string(key) + "' in the header");
    at += quoted.size();
    SkipSpaces(at);
    if (at >= text_.size() || text_[at] != ':')
      Fail("expected ':' after '" + std::string(key) + "'");
    ++at;
    SkipSpaces(at);
    return at;
  }

  std::string Descr() const {
    size_t at = After("descr");
    if (at >= text_.size() || (text_[at] != '\'' && text_[at] != '"'))
      Fail("only simple dtypes are supported (descr is not a string)");
    const char quote = text_[at++];
    size_t end = text_.find(quote, at);
    if (end == std::string_view::npos) Fail("unterminated descr");
    return std::string(text_.substr(at, end - at));
  }

  bool FortranOrder() const {
    size_t at = After("fortran_order");
    if (text_.substr(at, 4) == "True") return true;
    if (text_.substr(at, 5) == "False") return false;
    Fail("fortran_order is neither True nor False");
  }

  std::vector<uint64_t> Shape() const {
    size_t at = After("shape");
    if (at >= text_.size() || text_[at] != '(') Fail("shape is not a tuple");
    ++at;
    std::vector<uint64_t> shape;
    for (;;) {
      SkipSpaces(at);
      if (at >= text_.size()) Fail("unterminated shape");
      if (text_[at] == ')') break;
      if (!std::isdigit(static_cast<unsigned char>(text_[at]))) Fail("bad shape");
      uint64_t d = 0;
      while (at < text_.size() && std::isdigit(static_cast<unsigned char>(text_[at]))) {
        if (d > (std::numeric_limits<uint64_t>::max() - 9) / 10) Fail("shape too large");
        d = d * 10 + static_cast<uint64_t>(text_[at++] - '0');
      }
      if (at < text_.size() && text_[at] == 'L') ++at;  // Python 2 longs
      shape.push_back(d);
      SkipSpaces(at);
      if (at < text_.size() && text_[at] == ',') ++at;
    }
    return shape;
  }

  [[noreturn]] void Fail(const std::string& what) const {
    throw FormatError(path_ + ": not a valid .npy file (" + what + ")");
  }

 private:
  void SkipSpaces(size_t& at) const {
    while (at < text_.size() && text_[at] == ' ') ++at;
  }
  std::string_view text_;
  const std::string& path_;
};

/// Where the data starts and how many data bytes the header asks for.
struct NpyLayout {
  std::string dtype;
  std::vector<uint64_t> shape;
  size_t data_offset = 0;
  uint64_t expected = 0;  // prod(shape) * itemsize, checked for overflow
};

/// Bytes of the preamble + header dict, or 0 when `bytes` is too short to tell. Throws on a bad
/// magic or an unsupported version.
size_t HeaderEnd(std::string_view bytes, const std::string& path) {
  HeaderParser fail_only("", path);
  if (bytes.size() < 10) return 0;
  if (bytes.compare(0, sizeof(kNpyMagic), std::string_view(kNpyMagic, sizeof(kNpyMagic))) != 0)
    fail_only.Fail("bad magic");
  const uint8_t major = static_cast<uint8_t>(bytes[6]);
  if (major == 1)
    return 10 + (static_cast<uint8_t>(bytes[8]) | (static_cast<uint8_t>(bytes[9]) << 8));
  if (major != 2 && major != 3)
    fail_only.Fail("format version " + std::to_string(major) + " is not supported");
  if (bytes.size() < 12) return 0;
  size_t header_len = 0;
  for (int i = 11; i >= 8; --i) header_len = (header_len << 8) | static_cast<uint8_t>(bytes[i]);
  return 12 + header_len;  // header_len < 2^32: no overflow
}

/// Parse the header of a whole .npy held in `bytes`; every count is checked before use.
NpyLayout ParseLayout(std::string_view bytes, const std::string& path) {
  HeaderParser fail_only("", path);
  if (bytes.size() < 10) {
    if (bytes.size() < sizeof(kNpyMagic) ||
        bytes.compare(0, sizeof(kNpyMagic), std::string_view(kNpyMagic, sizeof(kNpyMagic))) != 0)
      fail_only.Fail("bad magic");
    fail_only.Fail("truncated header");
  }
  const size_t data_offset = HeaderEnd(bytes, path);
  if (data_offset == 0 || data_offset > bytes.size()) fail_only.Fail("truncated header");
  const size_t preamble = static_cast<uint8_t>(bytes[6]) == 1 ? 10 : 12;
  HeaderParser parser(bytes.substr(preamble, data_offset - preamble), path);

  NpyLayout layout;
  layout.data_offset = data_offset;
  layout.dtype = parser.Descr();
  const size_t itemsize = ItemSize(layout.dtype);
  if (itemsize == 0) parser.Fail("unsupported dtype '" + layout.dtype + "'");
  if (layout.dtype[0] == '>' && itemsize > 1)
    parser.Fail("big-endian dtype '" + layout.dtype + "' is not supported");
  if (parser.FortranOrder()) parser.Fail("Fortran-order arrays are not supported");
  layout.shape = parser.Shape();
  if (!ByteCount(layout.shape, itemsize, &layout.expected))
    parser.Fail("shape " + ShapeText(layout.shape) + " of '" + layout.dtype + "' is too large");
  return layout;
}

/// Decompress a zstd-compressed .npy. Output grows only as the stream produces it, and stops as
/// soon as it exceeds what the decompressed header asks for, so neither a lying frame header
/// nor a decompression bomb makes us allocate more than the array the file describes.
std::vector<uint8_t> DecompressZstd(const std::vector<uint8_t>& bytes, const std::string& path) {
  std::unique_ptr<ZSTD_DStream, size_t (*)(ZSTD_DStream*)> ds(ZSTD_createDStream(),
                                                              ZSTD_freeDStream);
  std::vector<uint8_t> out;
  const unsigned long long content = ZSTD_getFrameContentSize(bytes.data(), bytes.size());
  if (content != ZSTD_CONTENTSIZE_UNKNOWN && content != ZSTD_CONTENTSIZE_ERROR &&
      content <= bytes.size() * 64ull)
    out.reserve(content);  // only a hint; a lying header cannot make us allocate much
  std::vector<uint8_t> buf(ZSTD_DStreamOutSize());
  ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
  uint64_t limit = std::numeric_limits<uint64_t>::max();
  for (;;) {
    ZSTD_outBuffer o{buf.data(), buf.size(), 0};
    const size_t left = ZSTD_decompressStream(ds.get(), &o, &in);
    if (ZSTD_isError(left))
      throw FormatError(path + ": corrupted zstd stream (" + ZSTD_getErrorName(left) + ")");
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(o.pos));
    if (limit == std::numeric_limits<uint64_t>::max()) {
      const std::string_view view(reinterpret_cast<const char*>(out.data()), out.size());
      const size_t header_end = HeaderEnd(view, path);
      if (header_end != 0 && header_end <= out.size()) {
        const NpyLayout layout = ParseLayout(view, path);
        limit = layout.data_offset + layout.expected;  // data_offset < 2^33: no overflow
      }
    }
    if (out.size() > limit)
      HeaderParser("", path).Fail("trailing bytes: the decompressed data is longer than its "
                                  "shape says");
    if (in.pos == in.size && (left == 0 || o.pos < o.size)) {
      // All input consumed and the decoder has flushed what it could: done, or cut short.
      if (left != 0) throw FormatError(path + ": truncated zstd stream");
      return out;
    }
  }
}

}  // namespace

NpyArray ReadNpy(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file)
    throw InputError("cannot open '" + path + "': " + std::strerror(errno) + "; check the path");
  file.seekg(0, std::ios::end);
  std::vector<uint8_t> bytes(static_cast<size_t>(std::max<std::streamoff>(file.tellg(), 0)));
  file.seekg(0, std::ios::beg);
  if (!file.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size())))
    throw InputError("cannot read '" + path + "': " + std::strerror(errno));

  if (bytes.size() >= 4) {
    uint32_t magic = 0;
    for (int i = 3; i >= 0; --i) magic = (magic << 8) | bytes[i];
    if (magic == kZstdMagic) bytes = DecompressZstd(bytes, path);
  }
  NpyLayout layout =
      ParseLayout(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), path);
  const uint64_t have = bytes.size() - layout.data_offset;
  if (have != layout.expected)
    HeaderParser("", path).Fail((have < layout.expected ? "truncated: " : "trailing bytes: ") +
                                std::string("shape ") + ShapeText(layout.shape) + " of '" +
                                layout.dtype + "' needs " + std::to_string(layout.expected) +
                                " data bytes, the file has " + std::to_string(have));
  NpyArray array;
  array.dtype = std::move(layout.dtype);
  array.shape = std::move(layout.shape);
  // Drop the header in place: no second copy of the data.
  bytes.erase(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(layout.data_offset));
  array.data = std::move(bytes);
  return array;
}

NpyArray ReadNpyRows(const std::string& path, uint64_t begin, uint64_t end, uint64_t* total_rows) {
  std::ifstream file(path, std::ios::binary);
  if (!file)
    throw InputError("cannot open '" + path + "': " + std::strerror(errno) + "; check the path");
  file.seekg(0, std::ios::end);
  const uint64_t size = static_cast<uint64_t>(std::max<std::streamoff>(file.tellg(), 0));
  auto read_at = [&](uint64_t offset, uint8_t* out, uint64_t n) {
    file.seekg(static_cast<std::streamoff>(offset), std::ios::beg);
    if (!file.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(n)))
      throw InputError("cannot read '" + path + "': " + std::strerror(errno));
  };
  std::vector<uint8_t> head(static_cast<size_t>(std::min<uint64_t>(size, 12)));
  read_at(0, head.data(), head.size());
  auto slice_error = [&](uint64_t rows) {
    return Error("ReadNpyRows('" + path + "'): rows [" + std::to_string(begin) + ", " +
                 std::to_string(end) + ") are not a range of its " + std::to_string(rows) +
                 " rows");
  };
  if (head.size() >= 4 && (head[0] | head[1] << 8 | head[2] << 16 | uint32_t{head[3]} << 24) ==
                              kZstdMagic) {
    // A compressed .npy cannot be sought in: read it whole (bounded as ReadNpy), then slice.
    NpyArray whole = ReadNpy(path);
    if (whole.shape.empty() || begin > end || end > whole.shape[0])
      throw slice_error(whole.shape.empty() ? 0 : whole.shape[0]);
    const uint64_t row = whole.shape[0] == 0 ? 0 : whole.data.size() / whole.shape[0];
    if (total_rows != nullptr) *total_rows = whole.shape[0];
    whole.shape[0] = end - begin;
    whole.data.erase(whole.data.begin() + static_cast<std::ptrdiff_t>(end * row),
                     whole.data.end());
    whole.data.erase(whole.data.begin(),
                     whole.data.begin() + static_cast<std::ptrdiff_t>(begin * row));
    return whole;
  }
  // The header, then the file's size against it, as ReadNpy; then only the rows' bytes.
  const std::string_view head_view(reinterpret_cast<const char*>(head.data()), head.size());
  const size_t header_end = HeaderEnd(head_view, path);
  std::vector<uint8_t> header = head;
  if (header_end > head.size() && header_end <= size) {
    header.resize(header_end);
    read_at(0, header.data(), header.size());
  }
  NpyLayout layout = ParseLayout(
      std::string_view(reinterpret_cast<const char*>(header.data()), header.size()), path);
  const uint64_t have = size - layout.data_offset;
  if (have != layout.expected)
    HeaderParser("", path).Fail((have < layout.expected ? "truncated: " : "trailing bytes: ") +
                                std::string("shape ") + ShapeText(layout.shape) + " of '" +
                                layout.dtype + "' needs " + std::to_string(layout.expected) +
                                " data bytes, the file has " + std::to_string(have));
  if (layout.shape.empty() || begin > end || end > layout.shape[0])
    throw slice_error(layout.shape.empty() ? 0 : layout.shape[0]);
  const uint64_t row = layout.shape[0] == 0 ? 0 : layout.expected / layout.shape[0];
  NpyArray array;
  array.dtype = std::move(layout.dtype);
  array.shape = std::move(layout.shape);
  if (total_rows != nullptr) *total_rows = array.shape[0];
  array.shape[0] = end - begin;
  array.data.resize(static_cast<size_t>((end - begin) * row));  // <= the file's size
  if (!array.data.empty())
    read_at(layout.data_offset + begin * row, array.data.data(), array.data.size());
  return array;
}

}  // namespace snpflow::io
