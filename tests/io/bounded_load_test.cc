// Bounded loading (issue 8, item 3): a store or .npy whose header claims more than the file can
// hold fails at once with a FormatError naming the file and the field, and peak memory does not
// move. The crafted files are built byte by byte after docs/store-format.md.
#include <gtest/gtest.h>
#include <zstd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "io/atomic_file.h"
#include "io/npy.h"
#include "io/packed_store.h"
#include "pipeline/error.h"
#include "tests/fixtures/test_util.h"

namespace snpflow::io {
namespace {

using snpflow::testing::TempDir;

constexpr uint64_t kGiB = uint64_t{1} << 30;
// Allowed growth of peak RSS around one Load/ReadNpy of a crafted file: generous (allocator
// arenas, TBB's first thread pool), yet far below the gigabytes the headers claim.
constexpr uint64_t kPeakMarginBytes = uint64_t{64} << 20;

uint32_t Crc32(const std::string& data) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char c : data) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::string Zstd(const std::string& raw) {
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), 19);
  if (ZSTD_isError(n)) throw std::runtime_error("test: zstd failed");
  out.resize(n);
  return out;
}

/// A store file put together field by field; every field can lie.
struct CraftedStore {
  uint64_t n_samples = 3;
  uint64_t n_variants = 2;
  uint64_t n_tiles = 1;
  std::string meta_text = "a\nb\nc\n#variants\n1\t10\t.\tA\tC\n1\t20\t.\tG\tT\n";
  int64_t meta_raw = -1;  // -1: the real size
  struct Tile {
    std::string payload;  // compressed bytes
    uint64_t raw;
    int64_t offset = -1;  // -1: right after the previous tile
  };
  std::vector<Tile> tiles = {{Zstd(std::string(3, '\x06')), 3}};  // codes 2, 1 per sample

  std::string Bytes() const {
    const std::string meta = Zstd(meta_text);
    std::string out("SNPFLOW\x01", 8);
    PutU32(out, 1);
    PutU32(out, 1024);
    PutU64(out, n_samples);
    PutU64(out, n_variants);
    PutU64(out, n_tiles);
    PutU64(out, meta.size());
    PutU64(out, meta_raw < 0 ? meta_text.size() : static_cast<uint64_t>(meta_raw));
    PutU32(out, Crc32(meta));
    out += meta;
    uint64_t offset = out.size() + 28 * tiles.size();
    std::string payloads;
    for (const auto& t : tiles) {
      PutU64(out, t.offset < 0 ? offset : static_cast<uint64_t>(t.offset));
      PutU64(out, t.payload.size());
      PutU64(out, t.raw);
      PutU32(out, Crc32(t.payload));
      if (t.offset < 0) {
        payloads += t.payload;
        offset += t.payload.size();
      }
    }
    return out + payloads;
  }
};

/// Peak resident memory (VmHWM) since the last Reset(), in bytes; Reset() clears the kernel's
/// high-water mark (/proc/self/clear_refs, Linux >= 4.0).
class PeakRss {
 public:
  PeakRss() { Reset(); }
  void Reset() {
    std::ofstream("/proc/self/clear_refs") << "5";
    base_ = Read();
  }
  uint64_t Growth() const { return Read() > base_ ? Read() - base_ : 0; }

 private:
  static uint64_t Read() {
    std::ifstream in("/proc/self/status");
    std::string key;
    uint64_t kb = 0;
    while (in >> key) {
      if (key == "VmHWM:") {
        in >> kb;
        return kb * 1024;
      }
      in.ignore(1 << 16, '\n');
    }
    return 0;
  }
  uint64_t base_ = 0;
};

/// Load `bytes` as a store; return the FormatError's text (fails the test if none) and check that
/// peak RSS grew by less than kPeakMarginBytes.
std::string StoreError(const std::string& bytes) {
  TempDir dir;
  const std::string path = dir / "store.snpf";
  WriteFileAtomic(path, bytes);
  PeakRss peak;
  std::string msg;
  try {
    PackedStore::Load(path);
    ADD_FAILURE() << "a crafted store loaded";
  } catch (const FormatError& e) {
    msg = e.what();
  }
  EXPECT_LT(peak.Growth(), kPeakMarginBytes) << msg;
  EXPECT_EQ(msg.rfind(path + ": ", 0), 0u) << msg;
  return msg;
}

TEST(BoundedLoad, TheCraftedStoreIsValidAsBuilt) {
  TempDir dir;
  WriteFileAtomic(dir / "ok.snpf", CraftedStore().Bytes());
  PackedStore store = PackedStore::Load(dir / "ok.snpf");
  EXPECT_EQ(store.sample_ids(), (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(store.num_variants(), 2u);
  EXPECT_EQ(store.sites()[1].pos, 20);
  EXPECT_EQ(store.code(0, 0), 2);
  EXPECT_EQ(store.code(2, 1), 1);
}

TEST(BoundedLoad, StoreHeaderCountsBeyondTheFileFailAtOnce) {
  struct Case {
    std::string name;
    CraftedStore store;
    std::string want;
  };
  std::vector<Case> cases;
  {
    CraftedStore s;
    s.n_samples = uint64_t{1} << 62;
    cases.push_back({"n_samples 2^62", s, "header field n_samples = 4611686018427387904"});
  }
  {
    CraftedStore s;  // 3 GiB of genotypes: 3 GiB / 1 byte per sample in a 2-variant tile
    s.n_samples = 3 * kGiB;
    s.tiles[0].raw = 3 * kGiB;
    cases.push_back({"n_samples 3 GiB", s, "header field n_samples = 3221225472"});
  }
  {
    CraftedStore s;
    s.n_variants = uint64_t{1} << 62;
    s.n_tiles = (uint64_t{1} << 62) / 1024;
    cases.push_back({"n_variants 2^62", s, "header field n_variants = 4611686018427387904"});
  }
  {
    CraftedStore s;
    s.meta_raw = static_cast<int64_t>(3 * kGiB);
    cases.push_back({"meta_raw 3 GiB", s, "header field meta_raw_size = 3221225472"});
  }
  {
    CraftedStore s;
    s.meta_raw = int64_t{1} << 62;
    cases.push_back({"meta_raw 2^62", s, "header field meta_raw_size = 4611686018427387904"});
  }
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string msg = StoreError(c.store.Bytes());
    EXPECT_NE(msg.find(c.want), std::string::npos) << msg;
    EXPECT_NE(msg.find("cannot be right for this "), std::string::npos) << msg;
    EXPECT_NE(msg.find("snpflow ingest"), std::string::npos) << msg;
  }
}

TEST(BoundedLoad, StoreIndexBeyondTheFileFailsAtOnce) {
  // Honest metadata for 1.5 M samples (compresses to a few hundred bytes), one tile of 1024
  // variants claiming 384 MB from a 20-byte payload: refused before anything is decompressed.
  CraftedStore big;
  big.n_samples = 1500000;
  big.n_variants = 1024;
  big.meta_text.clear();
  for (uint64_t i = 0; i < big.n_samples; ++i) big.meta_text += "a\n";
  big.meta_text += "#variants\n";
  for (int v = 0; v < 1024; ++v) big.meta_text += "1\t" + std::to_string(v + 1) + "\t.\tA\tC\n";
  big.tiles = {{Zstd("tiny"), big.n_samples * 256}};
  std::string msg = StoreError(big.Bytes());
  EXPECT_NE(msg.find("index entry for tile 0 of 1 (variants 0-1023, counted from 0) says "
                     "384000000 bytes, more than its "),
            std::string::npos)
      << msg;

  // A huge tile count: the index cannot fit.
  CraftedStore many;
  many.n_variants = uint64_t{1} << 40;
  many.n_tiles = many.n_variants / 1024;
  msg = StoreError(many.Bytes());
  EXPECT_NE(msg.find("header field n_variants"), std::string::npos) << msg;

  // Two index entries pointing at the same payload: sizes add up to more than the file holds.
  CraftedStore twice;
  twice.n_variants = 1025;
  twice.n_tiles = 2;
  twice.meta_text = "a\n#variants\n";
  for (int v = 0; v < 1025; ++v) twice.meta_text += "1\t" + std::to_string(v + 1) + "\t.\tA\tC\n";
  twice.n_samples = 1;
  const std::string payload = Zstd(std::string(256, '\0'));
  twice.tiles = {{payload, 256}, {payload, 1}};
  std::string bytes = twice.Bytes();
  // Point tile 1 at tile 0's payload and cut the second copy off the file.
  const uint64_t meta_size = Zstd(twice.meta_text).size();
  const size_t entry1 = 60 + meta_size + 28;
  uint64_t tile0_offset = 0;
  for (int i = 7; i >= 0; --i)
    tile0_offset = (tile0_offset << 8) | static_cast<uint8_t>(bytes[60 + meta_size + i]);
  for (int i = 0; i < 8; ++i) bytes[entry1 + i] = static_cast<char>((tile0_offset >> (8 * i)) & 0xff);
  bytes.resize(bytes.size() - payload.size());
  msg = StoreError(bytes);
  EXPECT_NE(msg.find("index entry for tile 1 of 2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("sizes add up to more than the"), std::string::npos) << msg;
}

TEST(BoundedLoad, StoreTileFrameHoldingOtherThanItsRawSizeIsCorruption) {
  CraftedStore shorter;  // the frame holds 2 bytes, the index says 3
  shorter.tiles = {{Zstd("\x01\x02"), 3}};
  std::string msg = StoreError(shorter.Bytes());
  EXPECT_NE(msg.find("tile 0 of 1 (variants 0-1023, counted from 0) is corrupted (decompressed "
                     "to 2 bytes, expected 3)"),
            std::string::npos)
      << msg;
  CraftedStore longer;  // the frame holds 4 bytes, the index says 3
  longer.tiles = {{Zstd(std::string("\x01\x02\x03\x04", 4)), 3}};
  msg = StoreError(longer.Bytes());
  EXPECT_NE(msg.find("is corrupted (decompressed to more than 3 bytes)"), std::string::npos)
      << msg;
}

std::string NpyError(const std::string& name, const std::string& bytes) {
  TempDir dir;
  const std::string path = dir / name;
  WriteFileAtomic(path, bytes);
  PeakRss peak;
  std::string msg;
  try {
    ReadNpy(path);
    ADD_FAILURE() << "a crafted .npy loaded";
  } catch (const FormatError& e) {
    msg = e.what();
  }
  EXPECT_LT(peak.Growth(), kPeakMarginBytes) << msg;
  EXPECT_EQ(msg.rfind(path + ": not a valid .npy file (", 0), 0u) << msg;
  return msg;
}

std::string NpyBytes(const std::string& dict, const std::string& data) {
  std::string header = dict;
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  return out + header + data;
}

TEST(BoundedLoad, NpyShapeBeyondTheFileFailsAtOnce) {
  const std::string data(16, '\0');
  std::string msg = NpyError(
      "big.npy", NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (805306368,), }", data));
  EXPECT_NE(msg.find("truncated: shape (805306368,) of '<f4' needs 3221225472 data bytes, the "
                     "file has 16"),
            std::string::npos)
      << msg;
  msg = NpyError("huge.npy", NpyBytes("{'descr': '<u2', 'fortran_order': False, "
                                      "'shape': (4294967296, 4294967296), }",
                                      data));
  EXPECT_NE(msg.find("shape (4294967296, 4294967296) of '<u2' is too large"), std::string::npos)
      << msg;
  // The same inside a zstd stream.
  msg = NpyError("big.npy.zst",
                 Zstd(NpyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (402653184,), }",
                               "12345678")));
  EXPECT_NE(msg.find("shape (402653184,) of '<f8' needs 3221225472 data bytes, the file has 8"),
            std::string::npos)
      << msg;
}

TEST(BoundedLoad, NpyZstdBombStopsAtTheShape) {
  // 64 MiB of zeros compress to a few KB; the header inside asks for 4 bytes. Reading stops as
  // soon as the stream passes the 4 bytes, far below 64 MiB.
  std::string npy = NpyBytes("{'descr': '|u1', 'fortran_order': False, 'shape': (4,), }", "");
  npy.append(size_t{64} << 20, '\0');
  const std::string z = Zstd(npy);
  ASSERT_LT(z.size(), 100000u);
  const std::string msg = NpyError("bomb.npy.zst", z);
  EXPECT_NE(msg.find("trailing bytes: the decompressed data is longer than its shape says"),
            std::string::npos)
      << msg;
}

}  // namespace
}  // namespace snpflow::io
