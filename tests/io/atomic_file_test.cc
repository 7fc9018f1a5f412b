#include "io/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "pipeline/error.h"
#include "tests/fixtures/test_util.h"

namespace snpflow::io {
namespace {

namespace fs = std::filesystem;
using snpflow::testing::FileNames;
using snpflow::testing::ReadFile;
using snpflow::testing::TempDir;

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

TEST(AtomicFile, TempFileIsAHiddenRandomNameBesideTheTargetAndIsRenamedOnCommit) {
  TempDir dir;
  const std::string path = dir / "out.txt";
  std::string temp;
  {
    AtomicFile file(path);
    temp = file.temp_path();
    EXPECT_EQ(temp.rfind(dir.path() + "/.out.txt.snpflow-tmp.", 0), 0u) << temp;
    EXPECT_TRUE(IsTempFileName(fs::path(temp).filename().string())) << temp;
    struct stat st;
    ASSERT_EQ(::lstat(temp.c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_FALSE(fs::exists(path));
    file.Write("hello\n");
    file.Commit();
  }
  EXPECT_EQ(ReadFile(path), "hello\n");
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_EQ(FileNames(dir.path()), std::vector<std::string>{"out.txt"});
}

TEST(AtomicFile, OnWrittenSeesTheFinalBytesInTheTempFileBeforeTheRename) {
  TempDir dir;
  const std::string path = dir / "out.txt";
  AtomicFile file(path);
  file.Write("abc");
  file.Write(std::string(3 << 20, 'x'));  // past stdio's buffer
  std::string seen, seen_at;
  bool final_existed = true;
  file.Commit([&](const std::string& temp) {
    seen_at = temp;
    seen = ReadFile(temp);
    final_existed = fs::exists(path);
  });
  EXPECT_EQ(seen_at, file.temp_path());
  EXPECT_EQ(seen, "abc" + std::string(3 << 20, 'x'));
  EXPECT_FALSE(final_existed);
  EXPECT_EQ(ReadFile(path), seen);
}

TEST(AtomicFile, AnErrorOfOnWrittenFailsTheCommitAndLeavesNoFile) {
  TempDir dir;
  const std::string path = dir / "out.txt";
  WriteText(path, "old");
  {
    AtomicFile file(path);
    file.Write("new");
    EXPECT_THROW(file.Commit([](const std::string&) { throw InputError("cannot hash"); }),
                 InputError);
  }
  EXPECT_EQ(ReadFile(path), "old");
  EXPECT_EQ(FileNames(dir.path()), std::vector<std::string>{"out.txt"});
}

TEST(AtomicFile, TwoWritersOfOnePathGetDifferentTempFiles) {
  TempDir dir;
  AtomicFile a(dir / "x"), b(dir / "x");
  EXPECT_NE(a.temp_path(), b.temp_path());
}

TEST(AtomicFile, UncommittedTempFileIsRemovedAlsoWhenAnExceptionUnwinds) {
  TempDir dir;
  const std::string path = dir / "out.bin";
  WriteText(path, "old");
  EXPECT_THROW(
      {
        AtomicFile file(path);
        file.Write("new contents");
        throw std::runtime_error("the run failed halfway");
      },
      std::runtime_error);
  EXPECT_EQ(ReadFile(path), "old");  // the earlier file is untouched
  EXPECT_EQ(FileNames(dir.path()), std::vector<std::string>{"out.bin"});
}

TEST(AtomicFile, SymlinkAtTheFinalPathIsReplacedNotWrittenThrough) {
  TempDir dir;
  TempDir outside;
  const std::string victim = outside / "victim.txt";
  WriteText(victim, "precious");
  const std::string path = dir / "samples.tsv";
  fs::create_symlink(victim, path);
  WriteFileAtomic(path, "sample\tlabel\n");
  EXPECT_EQ(ReadFile(victim), "precious");
  EXPECT_FALSE(fs::is_symlink(path));
  EXPECT_TRUE(fs::is_regular_file(path));
  EXPECT_EQ(ReadFile(path), "sample\tlabel\n");
}

TEST(AtomicFile, LinksPlantedAtTheOldPredictableTempNameAreIgnored) {
  // Before, the temp file was `<path>.tmp.<pid>`: a link planted there redirected the write.
  TempDir dir;
  TempDir outside;
  const std::string victim = outside / "victim.txt";
  WriteText(victim, "precious");
  const std::string path = dir / "counts.npy";
  fs::create_symlink(victim, path + ".tmp." + std::to_string(::getpid()));
  WriteFileAtomic(path, "data");
  EXPECT_EQ(ReadFile(victim), "precious");
  EXPECT_EQ(ReadFile(path), "data");
}

TEST(AtomicFile, UnwritableDirectoryIsAnInputErrorNamingTheFile) {
  try {
    AtomicFile file("/nonexistent-snpflow-dir/out.txt");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "cannot write '/nonexistent-snpflow-dir/out.txt': No such file or directory; check "
              "that the directory exists and is writable");
  }
}

TEST(TempPath, CreatesAnEmptyExclusiveFileThatCommitRenames) {
  TempDir dir;
  const std::string path = dir / "plot.svg";
  std::string temp;
  {
    TempPath tmp(path);
    temp = tmp.temp();
    EXPECT_TRUE(fs::is_regular_file(temp));
    EXPECT_EQ(fs::file_size(temp), 0u);
    WriteText(temp, "<svg/>");  // another program fills it by name
    tmp.Commit();
  }
  EXPECT_EQ(ReadFile(path), "<svg/>");
  EXPECT_FALSE(fs::exists(temp));
  {
    TempPath abandoned(dir / "other.svg");
    temp = abandoned.temp();
  }
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_EQ(FileNames(dir.path()), std::vector<std::string>{"plot.svg"});
}

TEST(TempFileName, MatchesOnlyOurPattern) {
  EXPECT_TRUE(IsTempFileName(".store.snpf.snpflow-tmp.aZ09xY"));
  EXPECT_TRUE(IsTempFileName(".x.snpflow-tmp.AAAAAA"));
  EXPECT_FALSE(IsTempFileName("store.snpf.snpflow-tmp.aZ09xY"));   // not hidden
  EXPECT_FALSE(IsTempFileName(".store.snpf.snpflow-tmp.aZ09x"));   // 5 characters
  EXPECT_FALSE(IsTempFileName(".store.snpf.snpflow-tmp.aZ09xYZ")); // 7 characters
  EXPECT_FALSE(IsTempFileName(".store.snpf.snpflow-tmp.aZ-9xY"));  // not alphanumeric
  EXPECT_FALSE(IsTempFileName(".snpflow-tmp.aZ09xY"));
  EXPECT_FALSE(IsTempFileName("store.snpf.tmp.1234"));
  EXPECT_FALSE(IsTempFileName("store.snpf"));
}

TEST(RemoveStaleTempFiles, RemovesOnlyOurRegularTempFilesAndFollowsNoLinks) {
  TempDir dir;
  TempDir outside;
  fs::create_directories(dir / "fold_0/deeper");
  WriteText(dir / ".store.snpf.snpflow-tmp.AbC123", "half a store");
  WriteText(dir / "fold_0/.stats.npy.snpflow-tmp.xyz789", "half");
  WriteText(dir / "fold_0/deeper/.a.snpflow-tmp.xyz789", "too deep: not ours to scan");
  WriteText(dir / "store.snpf", "a finished store");
  WriteText(dir / ".notes.snpflow-tmp.short", "not our pattern");
  WriteText(dir / "user.snpflow-tmp.ABCDEF", "not hidden: not ours");
  // A link with our temp name pointing outside: neither the link's target nor the link goes.
  const std::string victim = outside / "victim.txt";
  WriteText(victim, "precious");
  fs::create_symlink(victim, dir / ".victim.snpflow-tmp.QQQQQQ");
  // A linked directory is not entered.
  WriteText(outside / ".other.snpflow-tmp.ZZZZZZ", "someone else's");
  fs::create_directory_symlink(outside.path(), dir / "linked");

  EXPECT_EQ(RemoveStaleTempFiles(dir.path()), 2u);
  EXPECT_FALSE(fs::exists(dir / ".store.snpf.snpflow-tmp.AbC123"));
  EXPECT_FALSE(fs::exists(dir / "fold_0/.stats.npy.snpflow-tmp.xyz789"));
  EXPECT_TRUE(fs::exists(dir / "fold_0/deeper/.a.snpflow-tmp.xyz789"));
  EXPECT_EQ(ReadFile(dir / "store.snpf"), "a finished store");
  EXPECT_TRUE(fs::exists(dir / ".notes.snpflow-tmp.short"));
  EXPECT_TRUE(fs::exists(dir / "user.snpflow-tmp.ABCDEF"));
  EXPECT_TRUE(fs::is_symlink(dir / ".victim.snpflow-tmp.QQQQQQ"));
  EXPECT_EQ(ReadFile(victim), "precious");
  EXPECT_TRUE(fs::exists(outside / ".other.snpflow-tmp.ZZZZZZ"));
  EXPECT_EQ(RemoveStaleTempFiles(dir / "no-such-dir"), 0u);
}

}  // namespace
}  // namespace snpflow::io
