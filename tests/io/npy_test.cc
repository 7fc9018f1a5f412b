#include "io/npy.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <numeric>
#include <random>

#include "pipeline/error.h"
#include "tests/fixtures/test_util.h"

namespace snpflow::io {
namespace {

using snpflow::testing::ReadFile;
using snpflow::testing::RunShell;
using snpflow::testing::TempDir;

const char kPython[] = "/usr/bin/python3";

bool PythonHasNumpy() {
  return RunShell(std::string(kPython) + " -c 'import numpy'").exit_code == 0;
}

template <class T>
std::vector<T> Iota(size_t n, T start, T step) {
  std::vector<T> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<T>(start + static_cast<T>(i) * step);
  return v;
}

struct Case {
  std::string dtype;
  std::vector<uint64_t> shape;
  std::vector<uint8_t> bytes;  // C-order little-endian data
};

template <class T>
std::vector<uint8_t> Bytes(const std::vector<T>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

std::vector<Case> Cases() {
  return {
      {"<f4", {5}, Bytes(Iota<float>(5, -1.5f, 0.25f))},
      {"<f4", {3, 4}, Bytes(Iota<float>(12, 0.5f, 1.0f))},
      {"|u1", {7}, Bytes(Iota<uint8_t>(7, 250, 1))},  // wraps past 255
      {"|u1", {13, 9}, Bytes(Iota<uint8_t>(117, 0, 3))},
      {"<u2", {2, 3, 4, 5}, Bytes(Iota<uint16_t>(120, 65000, 7))},
      {"<i8", {4, 2}, Bytes(Iota<int64_t>(8, -4000000000LL, 1000000007LL))},
      {"<i8", {0, 3}, {}},
      {"<f4", {1, 1, 1, 1}, Bytes(std::vector<float>{3.25f})},
  };
}

std::string CaseName(const Case& c) {
  std::string s = c.dtype + " (";
  for (auto d : c.shape) s += std::to_string(d) + ",";
  return s + ")";
}

TEST(Npy, HeaderIsAlignedAndAsNumpyWritesIt) {
  TempDir dir;
  const std::string path = dir / "a.npy";
  std::vector<float> data(12, 1.0f);
  WriteNpy(path, "<f4", {3, 4}, data.data(), data.size() * sizeof(float));
  const std::string bytes = ReadFile(path);
  ASSERT_GE(bytes.size(), 10u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  const size_t header_len = static_cast<uint8_t>(bytes[8]) | (static_cast<uint8_t>(bytes[9]) << 8);
  EXPECT_EQ((10 + header_len) % 64, 0u);
  EXPECT_EQ(bytes.size(), 10 + header_len + 48);
  const std::string header = bytes.substr(10, header_len);
  EXPECT_EQ(header.rfind("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }", 0), 0u)
      << header;
  EXPECT_EQ(header.back(), '\n');

  WriteNpy(dir / "b.npy", "|u1", {5}, "abcde", 5);
  EXPECT_NE(ReadFile(dir / "b.npy").find("'shape': (5,), }"), std::string::npos);
}

TEST(Npy, RoundTripsThroughReadNpy) {
  TempDir dir;
  for (const Case& c : Cases()) {
    SCOPED_TRACE(CaseName(c));
    const std::string path = dir / "x.npy";
    WriteNpy(path, c.dtype, c.shape, c.bytes.data(), c.bytes.size());
    NpyArray a = ReadNpy(path);
    EXPECT_EQ(a.dtype, c.dtype);
    EXPECT_EQ(a.shape, c.shape);
    EXPECT_EQ(a.data, c.bytes);
  }
  NpyArray f = ReadNpy(dir / "x.npy");
  EXPECT_EQ(f.as<float>()[0], 3.25f);
}

TEST(Npy, StreamedRowsEqualOneShotWrite) {
  TempDir dir;
  auto data = Iota<uint16_t>(6 * 50, 1, 3);
  NpyWriter writer(dir / "rows.npy", "<u2", {6, 50});
  for (size_t r = 0; r < 6; ++r) writer.Write(&data[r * 50], 50 * sizeof(uint16_t));
  writer.Commit();
  WriteNpy(dir / "whole.npy", "<u2", {6, 50}, data.data(), data.size() * sizeof(uint16_t));
  EXPECT_EQ(ReadFile(dir / "rows.npy"), ReadFile(dir / "whole.npy"));
}

// An open first axis: the rows written set it at Commit, in a header of the same size (the data
// does not move), and NumPy reads the result; a partial row or a zstd stream is refused.
TEST(Npy, OpenFirstAxisIsSetByTheRowsWritten) {
  TempDir dir;
  auto data = Iota<uint16_t>(7 * 3 * 2, 5, 11);
  for (size_t rows : {size_t{0}, size_t{1}, size_t{7}}) {
    const std::string path = dir / ("open" + std::to_string(rows) + ".npy");
    NpyWriter open(path, "<u2", {NpyWriter::kOpenFirstAxis, 3, 2});
    for (size_t r = 0; r < rows; ++r) open.Write(&data[r * 6], 6 * sizeof(uint16_t));
    open.Commit();
    WriteNpy(dir / "known.npy", "<u2", {rows, 3, 2}, data.data(), rows * 6 * sizeof(uint16_t));
    const std::string got = ReadFile(path), want = ReadFile(dir / "known.npy");
    // The header is padded to the size reserved for a 20-digit axis; the data is the same.
    const size_t got_header = got.size() - rows * 12, want_header = want.size() - rows * 12;
    EXPECT_EQ(got.substr(got_header), want.substr(want_header)) << rows;
    const NpyArray back = ReadNpy(path);
    EXPECT_EQ(back.shape, (std::vector<uint64_t>{rows, 3, 2})) << rows;
    EXPECT_EQ(back.data.size(), rows * 12) << rows;
  }
  if (PythonHasNumpy()) {
    auto r = RunShell(std::string(kPython) + " -c \"import numpy as np; a = np.load('" +
                      dir / "open7.npy" + "'); print(a.shape, a.dtype.str, int(a[6, 2, 1]))\"");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "(7, 3, 2) <u2 " + std::to_string(data[41]) + "\n");
  }
  {
    NpyWriter partial(dir / "partial.npy", "<u2", {NpyWriter::kOpenFirstAxis, 3, 2});
    partial.Write(data.data(), 5 * sizeof(uint16_t));
    EXPECT_THROW(partial.Commit(), Error);
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "partial.npy"));
  EXPECT_THROW(NpyWriter(dir / "z.npy.zst", "<u2", {NpyWriter::kOpenFirstAxis, 2}, true), Error);
}

TEST(Npy, NumpyLoadsWhatWeWrite) {
  if (!PythonHasNumpy()) GTEST_SKIP() << kPython << " has no numpy";
  TempDir dir;
  // Load each file normally and memory-mapped; both must agree; print dtype and shape, dump the
  // bytes. One python run for all files: starting numpy costs more than the checks.
  const std::string script = dir / "check.py";
  snpflow::io::WriteFileAtomic(script,
                               "import sys, numpy as np\n"
                               "for path, dump in zip(sys.argv[1::2], sys.argv[2::2]):\n"
                               "    a = np.load(path)\n"
                               "    m = np.load(path, mmap_mode='r')\n"
                               "    assert a.dtype == m.dtype and a.shape == m.shape\n"
                               "    assert np.array_equal(a, m)\n"
                               "    assert a.flags['C_CONTIGUOUS']\n"
                               "    open(dump, 'wb').write(a.tobytes())\n"
                               "    print(a.dtype.str, a.shape)\n");
  const std::vector<Case> cases = Cases();
  std::string args, want_out;
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    const std::string path = dir / ("x" + std::to_string(i) + ".npy");
    WriteNpy(path, c.dtype, c.shape, c.bytes.data(), c.bytes.size());
    args += " " + path + " " + dir / ("x" + std::to_string(i) + ".bin");
    std::string shape = "(";
    for (size_t k = 0; k < c.shape.size(); ++k)
      shape += (k ? ", " : "") + std::to_string(c.shape[k]);
    shape += c.shape.size() == 1 ? ",)" : ")";
    want_out += c.dtype + " " + shape + "\n";
  }
  auto r = RunShell(std::string(kPython) + " " + script + args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, want_out);
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(CaseName(cases[i]));
    const std::string got = ReadFile(dir / ("x" + std::to_string(i) + ".bin"));
    EXPECT_EQ(std::vector<uint8_t>(got.begin(), got.end()), cases[i].bytes);
  }
}

TEST(Npy, ReadsWhatNumpyWrites) {
  if (!PythonHasNumpy()) GTEST_SKIP() << kPython << " has no numpy";
  TempDir dir;
  auto r = RunShell(std::string(kPython) + " -c \"import numpy as np; d='" + dir.path() +
                    "'; np.save(d + '/a.npy', np.arange(24, dtype='<i8').reshape(2, 3, 4)); "
                    "np.save(d + '/b.npy', np.array([0.5, -2.0], dtype='<f4')); "
                    "np.save(d + '/c.npy', np.asfortranarray(np.ones((3, 2), dtype='<f4')))\"");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  NpyArray a = ReadNpy(dir / "a.npy");
  EXPECT_EQ(a.dtype, "<i8");
  EXPECT_EQ(a.shape, (std::vector<uint64_t>{2, 3, 4}));
  for (int64_t k = 0; k < 24; ++k) ASSERT_EQ(a.as<int64_t>()[k], k);
  NpyArray b = ReadNpy(dir / "b.npy");
  EXPECT_EQ(b.shape, std::vector<uint64_t>{2});
  EXPECT_EQ(b.as<float>()[1], -2.0f);
  try {
    ReadNpy(dir / "c.npy");
    ADD_FAILURE() << "Fortran-order array accepted";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("Fortran"), std::string::npos) << e.what();
  }
}

TEST(Npy, ZstdStreamDecompressesToValidNpy) {
  TempDir dir;
  std::mt19937 rng(1);
  std::vector<float> data(300 * 70);
  for (auto& x : data) x = static_cast<float>(rng() % 5) * 0.5f;
  const std::string zst = dir / "x.npy.zst";
  NpyWriter writer(zst, "<f4", {300, 70}, /*compress_zstd=*/true);
  for (size_t r = 0; r < 300; ++r) writer.Write(&data[r * 70], 70 * sizeof(float));
  writer.Commit();
  WriteNpy(dir / "x.npy", "<f4", {300, 70}, data.data(), data.size() * sizeof(float));

  const std::string bytes = ReadFile(zst);
  ASSERT_GE(bytes.size(), 4u);
  EXPECT_EQ(bytes.substr(0, 4), std::string("\x28\xB5\x2F\xFD", 4));
  EXPECT_LT(bytes.size(), data.size() * sizeof(float));
  NpyArray a = ReadNpy(zst);
  EXPECT_EQ(a.shape, (std::vector<uint64_t>{300, 70}));
  ASSERT_EQ(a.data.size(), data.size() * sizeof(float));
  EXPECT_EQ(std::memcmp(a.data.data(), data.data(), a.data.size()), 0);

  // Decompressed by another implementation, the bytes are exactly the plain .npy.
  if (RunShell(std::string(kPython) + " -c 'import zstandard'").exit_code != 0)
    GTEST_SKIP() << kPython << " has no zstandard";
  auto r = RunShell(std::string(kPython) +
                    " -c \"import sys, zstandard; "
                    "sys.stdout.buffer.write(zstandard.ZstdDecompressor().stream_reader("
                    "open('" +
                    zst + "', 'rb')).read())\" > " + dir / "dec.npy");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(dir / "dec.npy"), ReadFile(dir / "x.npy"));
}

TEST(Npy, WrongByteCountThrowsAndLeavesNoFile) {
  TempDir dir;
  for (bool zstd : {false, true}) {
    const std::string path = dir / (zstd ? "short.npy.zst" : "short.npy");
    std::vector<float> data(11);
    try {
      NpyWriter writer(path, "<f4", {3, 4}, zstd);
      writer.Write(data.data(), data.size() * sizeof(float));
      writer.Commit();
      ADD_FAILURE() << "Commit accepted 11 of 12 elements";
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(path), std::string::npos) << msg;
      EXPECT_NE(msg.find("got 44 data bytes"), std::string::npos) << msg;
      EXPECT_NE(msg.find("needs 48"), std::string::npos) << msg;
    }
    EXPECT_THROW(WriteNpy(path, "<f4", {2}, data.data(), 3 * sizeof(float)), Error);
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
  EXPECT_THROW(NpyWriter(dir / "bad.npy", "float32", {2}), Error);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(Npy, ReadNpyRejectsBadFiles) {
  TempDir dir;
  auto expect_format_error = [&](const std::string& name, const std::string& contents,
                                 const std::string& what) {
    const std::string path = dir / name;
    snpflow::io::WriteFileAtomic(path, contents);
    try {
      ReadNpy(path);
      ADD_FAILURE() << name << " accepted";
    } catch (const FormatError& e) {
      const std::string msg = e.what();
      EXPECT_EQ(msg.rfind(path + ": not a valid .npy file (", 0), 0u) << msg;
      EXPECT_NE(msg.find(what), std::string::npos) << msg;
    }
  };
  expect_format_error("text.npy", "hello, this is not numpy", "bad magic");
  expect_format_error("empty.npy", "", "bad magic");

  std::vector<float> data(12, 2.0f);
  WriteNpy(dir / "good.npy", "<f4", {3, 4}, data.data(), data.size() * sizeof(float));
  const std::string good = ReadFile(dir / "good.npy");
  expect_format_error("cut.npy", good.substr(0, good.size() - 4), "truncated");
  expect_format_error("long.npy", good + "xx", "trailing bytes");
  expect_format_error("cuthead.npy", good.substr(0, 40), "truncated header");

  EXPECT_THROW(ReadNpy(dir / "missing.npy"), InputError);

  // A corrupted zstd stream is a FormatError too.
  NpyWriter writer(dir / "z.npy.zst", "<f4", {3, 4}, true);
  writer.Write(data.data(), data.size() * sizeof(float));
  writer.Commit();
  std::string z = ReadFile(dir / "z.npy.zst");
  snpflow::io::WriteFileAtomic(dir / "zcut.npy.zst", z.substr(0, z.size() - 6));
  EXPECT_THROW(ReadNpy(dir / "zcut.npy.zst"), FormatError);
}

}  // namespace
}  // namespace snpflow::io
