// io/manifest.h and io/dir_lock.h: checksums, the manifest round trip and its checks, and the
// output directory lock within and across processes.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "io/dir_lock.h"
#include "io/manifest.h"
#include "pipeline/error.h"
#include "tests/fixtures/test_util.h"

namespace snpflow::io {
namespace {

using snpflow::testing::ReadFile;
using snpflow::testing::TempDir;

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

TEST(ManifestTest, ChecksumIsXxh3128OfTheBytesStreamedInChunks) {
  TempDir dir;
  WriteFile(dir / "empty", "");
  uint64_t size = 7;
  // The XXH3-128 of no bytes (xxhash's test vector), high 64 bits first as xxh128sum prints it.
  EXPECT_EQ(FileChecksum(dir / "empty", &size), "99aa06d3014798d86001c324468d497f");
  EXPECT_EQ(size, 0u);
  // Larger than the 256 KiB read buffer: the streamed hash equals the one-shot hash.
  std::string big(3 * (1 << 20) + 12345, '\0');
  std::mt19937 rng(5);
  for (char& c : big) c = static_cast<char>(rng());
  WriteFile(dir / "big", big);
  XXH128_hash_t h = XXH3_128bits(big.data(), big.size());
  char want[33];
  std::snprintf(want, sizeof want, "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                static_cast<unsigned long long>(h.low64));
  EXPECT_EQ(FileChecksum(dir / "big", &size), want);
  EXPECT_EQ(size, big.size());
  EXPECT_THROW(FileChecksum(dir / "missing", &size), InputError);
}

TEST(ManifestTest, DescribeFileAsHashesMappedWindowsLikeFileChecksum) {
  TempDir dir;
  // Past the 16 MiB mapping window and not a multiple of a page; and an empty file.
  std::string big((16 << 20) + 4096 * 3 + 77, '\0');
  std::mt19937 rng(9);
  for (char& c : big) c = static_cast<char>(rng());
  WriteFile(dir / "big", big);
  WriteFile(dir / "empty", "");
  for (const char* name : {"big", "empty"}) {
    uint64_t size = 0;
    const std::string want = FileChecksum(dir / name, &size);
    const ManifestEntry e = DescribeFileAs(dir / name, "as/listed.bin");
    EXPECT_EQ(e.path, "as/listed.bin");
    EXPECT_EQ(e.xxh3_128, want) << name;
    EXPECT_EQ(e.size, size) << name;
  }
  EXPECT_THROW(DescribeFileAs(dir / "missing", "x"), InputError);
}

TEST(ManifestTest, RoundTripsAndVerifies) {
  TempDir dir;
  std::filesystem::create_directories(dir / "fold_0");
  WriteFile(dir / "a.tsv", "x\ty\n1\t2\n");
  WriteFile(dir / "fold_0/b.npy", std::string("\x93NUMPY\0\1", 8));
  Manifest m;
  m.kind = "ingest";
  m.key = "snpflow 0.1.0|input=\"quoted\"\\and\ttab";
  m.files = {DescribeFile(dir.path(), "a.tsv"), DescribeFile(dir.path(), "fold_0/b.npy")};
  WriteManifest(dir.path(), m);
  Manifest back = ReadManifest(dir.path(), "rerun");
  EXPECT_EQ(back.kind, "ingest");
  EXPECT_EQ(back.key, m.key);
  EXPECT_EQ(back.format_version, kManifestVersion);
  ASSERT_EQ(back.files.size(), 2u);
  EXPECT_EQ(back.files[1].path, "fold_0/b.npy");
  EXPECT_EQ(back.files[1].size, 8u);
  EXPECT_EQ(back.files[0].xxh3_128, m.files[0].xxh3_128);
  EXPECT_NO_THROW(VerifyManifest(dir.path(), back, {"a.tsv"}, "rerun"));

  // A file the caller needs must be listed.
  try {
    VerifyManifest(dir.path(), back, {"c.txt"}, "snpflow x");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()), "'" + dir / "c.txt" + "' is not listed in " +
                                         dir / "manifest.json" + "; re-run `snpflow x`");
  }
  // Same size, other bytes: the checksum; other size: the size.
  WriteFile(dir / "a.tsv", "x\ty\n1\t3\n");
  try {
    VerifyDirectory(dir.path(), {}, "snpflow x");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()), "'" + dir / "a.tsv" + "' does not match its checksum in " +
                                         dir / "manifest.json" +
                                         " (edited or corrupted?); re-run `snpflow x`");
  }
  WriteFile(dir / "a.tsv", "x\ty\n1\t");
  try {
    VerifyDirectory(dir.path(), {}, "snpflow x");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()), "'" + dir / "a.tsv" + "' has 6 bytes but " +
                                         dir / "manifest.json" +
                                         " lists 8 (truncated, edited or corrupted?); re-run "
                                         "`snpflow x`");
  }
  std::filesystem::remove(dir / "a.tsv");
  EXPECT_THROW(VerifyDirectory(dir.path(), {}, "snpflow x"), FormatError);

  RemoveManifest(dir.path());
  EXPECT_FALSE(std::filesystem::exists(dir / "manifest.json"));
  RemoveManifest(dir.path());  // already gone: fine
  EXPECT_THROW(ReadManifest(dir.path(), "x"), InputError);
}

TEST(ManifestTest, MalformedManifestsAreFormatErrors) {
  TempDir dir;
  for (const std::string text :
       {"", "{", "[]", "{\"files\": []}", "{\"format_version\": 1}",
        "{\"format_version\": 1, \"files\": [{\"path\": \"a\", \"size\": 1}]}",
        "{\"format_version\": 1, \"files\": [{\"path\": \"../etc/passwd\", \"size\": 1, "
        "\"xxh3_128\": \"00\"}]}",
        "{\"format_version\": 1, \"files\": [{\"path\": \"/etc/passwd\", \"size\": 1, "
        "\"xxh3_128\": \"00\"}]} trailing",
        "{\"format\": \"snpflow-manifest\", \"format_version\": 99, \"files\": []}"}) {
    WriteFile(dir / "manifest.json", text);
    EXPECT_THROW(ReadManifest(dir.path(), "x"), FormatError) << text;
  }
}

TEST(DirLockTest, ReentrantInProcessExclusiveAcrossProcesses) {
  TempDir dir;
  const std::string out = dir / "out/sub";
  {
    DirLock outer = DirLock::Acquire(out, "snpflow test");
    EXPECT_TRUE(std::filesystem::is_directory(out));
    {
      DirLock inner = DirLock::Acquire(out + "/.", "snpflow train");  // same directory
      EXPECT_TRUE(DirLock::HeldByThisProcess(out));
    }
    EXPECT_TRUE(DirLock::HeldByThisProcess(out));  // the inner one released nothing
    const std::string holder = ReadFile(out + "/.snpflow.lock");
    EXPECT_NE(holder.find("what=snpflow test\npid=" + std::to_string(getpid()) + "\n"),
              std::string::npos)
        << holder;

    // Another process fails at once, naming us.
    pid_t pid = fork();
    if (pid == 0) {
      int rc = 2;
      try {
        DirLock other = DirLock::Acquire(out, "snpflow ingest");
      } catch (const InputError& e) {
        const std::string want = "'" + out + "' is in use by snpflow test (pid " +
                                 std::to_string(getppid()) + " on ";
        rc = std::string(e.what()).rfind(want, 0) == 0 ? 0 : 3;
      } catch (...) {
        rc = 4;
      }
      _exit(rc);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  EXPECT_FALSE(DirLock::HeldByThisProcess(out));
  // Released: another process takes it.
  pid_t pid = fork();
  if (pid == 0) {
    try {
      DirLock other = DirLock::Acquire(out, "snpflow ingest");
      _exit(0);
    } catch (...) {
      _exit(1);
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace snpflow::io
