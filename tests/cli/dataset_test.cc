// The data set on disk through the CLI (io/dataset.h, io/manifest.h, io/dir_lock.h): every
// derived file of an ingest and an export is checked against the manifest; a run killed at any
// output file's rename leaves a directory that the next run reuses whole or redoes, byte for
// byte as a clean run; one run per -o; the cache key sees mtime, ctime and every option.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "io/manifest.h"
#include "tests/fixtures/test_util.h"

namespace snpflow {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::ReadFile;
using testing::RunShell;
using testing::RunSnpflow;
using testing::TempDir;

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

// One simulated VCF (bgzipped + .tbi), its panel and a clean ingest of it, shared by the tests.
class DatasetTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = new TempDir();
    CommandResult sim = RunSnpflow("simulate --samples 60 --snps 300 --seed 3 -q -o " +
                                   *data_ / "sim.vcf.gz");
    ASSERT_EQ(sim.exit_code, 0) << sim.err;
  }
  static void TearDownTestSuite() {
    delete data_;
    data_ = nullptr;
  }
  static std::string Vcf() { return *data_ / "sim.vcf.gz"; }
  static std::string Panel() { return *data_ / "sim.panel"; }
  static std::string IngestArgs(const std::string& out, const std::string& extra = "") {
    return "ingest " + Vcf() + " --labels " + Panel() + " --folds 3 -o " + out + " " + extra;
  }
  // The CLI under the LD_PRELOAD shim (tests/fixtures/kill_on_rename.c).
  static CommandResult RunShimmed(const std::string& file, const std::string& action,
                                  const std::string& args, const std::string& marker = "") {
    return RunShell("ASAN_OPTIONS=verify_asan_link_order=0 LD_PRELOAD=" SNPFLOW_KILL_SHIM
                    " SNPFLOW_SHIM_FILE=" + file + " SNPFLOW_SHIM_ACTION=" + action +
                    " SNPFLOW_SHIM_MARKER=" + marker + " " + testing::SnpflowCli() + " " + args +
                    "; exit $?");  // not the shell's last command: its "Killed" goes to err
  }

  static TempDir* data_;
};

TempDir* DatasetTest::data_ = nullptr;

std::vector<std::string> ListedFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& f : io::ReadManifest(dir, "").files) out.push_back(f.path);
  return out;
}

// ---- Corruption: each derived file, each kind of damage, a clear error naming the file ----

// Ways to damage a file; each returns false when it would not change this file.
struct Damage {
  const char* name;
  std::function<bool(std::string&)> apply;
};

std::vector<Damage> Damages() {
  return {
      {"flip a byte",
       [](std::string& s) {
         if (s.empty()) return false;
         s[s.size() / 2] = static_cast<char>(s[s.size() / 2] ^ 0x20);
         return true;
       }},
      {"swap two lines (or two 8-byte chunks)",
       [](std::string& s) {
         size_t a = s.find('\n');
         size_t b = a == std::string::npos ? a : s.find('\n', a + 1);
         size_t c = b == std::string::npos ? b : s.find('\n', b + 1);
         if (c != std::string::npos && s.compare(a + 1, b - a, s, b + 1, c - b) != 0 &&
             s.find('\0') == std::string::npos) {
           s = s.substr(0, a + 1) + s.substr(b + 1, c - b) + s.substr(a + 1, b - a) +
               s.substr(c + 1);
           return true;
         }
         for (size_t i = s.size() / 3; i + 16 <= s.size(); i += 8) {  // binary: two chunks
           if (s.compare(i, 8, s, i + 8, 8) != 0) {
             std::string first = s.substr(i, 8);
             s.replace(i, 8, s, i + 8, 8);
             s.replace(i + 8, 8, first);
             return true;
           }
         }
         return false;
       }},
      {"truncate", [](std::string& s) {
         if (s.empty()) return false;
         s.resize(s.size() - 1);
         return true;
       }},
      {"append a byte", [](std::string& s) {
         s += '\n';
         return true;
       }},
  };
}

// Copy `base` to `dir`, damage `file` with `damage`, run `command` (with DIR replaced by the
// copy): it must fail with exit 1 naming the file. Returns false when the damage doesn't apply.
void ExpectDamageCaught(const std::string& base, const std::string& dir, const std::string& file,
                        const Damage& damage, const std::function<std::string(std::string)>& cmd) {
  fs::remove_all(dir);
  fs::copy(base, dir, fs::copy_options::recursive);
  std::string bytes = ReadFile(dir + "/" + file);
  if (!damage.apply(bytes)) return;
  WriteFile(dir + "/" + file, bytes);
  CommandResult r = RunSnpflow(cmd(dir));
  EXPECT_EQ(r.exit_code, 1) << file << ", " << damage.name << ": " << r.err;
  EXPECT_NE(r.err.find("'" + dir + "/" + file + "'"), std::string::npos)
      << file << ", " << damage.name << ": " << r.err;
  EXPECT_NE(r.err.find("re-run"), std::string::npos) << r.err;
}

TEST_F(DatasetTest, EveryDamagedIngestFileFailsExportNamingIt) {
  TempDir dir;
  ASSERT_EQ(RunSnpflow(IngestArgs(dir / "ing", "-q")).exit_code, 0);
  const std::vector<std::string> files = ListedFiles(dir / "ing");
  // Every output a later command reads is listed.
  for (const char* f : {"store.snpf", "counts.npy", "samples.tsv", "classes.txt", "variants.tsv",
                        "ingest.json"})
    EXPECT_NE(std::find(files.begin(), files.end(), f), files.end()) << f;
  // Per-fold statistics derive from counts.npy: an ingest writes none.
  EXPECT_EQ(files.size(), 6u);
  auto export_cmd = [&](const std::string& d) {
    return "export --data " + d + " -o " + dir / "out" + " -q";
  };
  for (const auto& file : files)
    for (const auto& damage : Damages())
      ExpectDamageCaught(dir / "ing", dir / "bad", file, damage, export_cmd);
  // The undamaged copy exports.
  EXPECT_EQ(RunSnpflow(export_cmd(dir / "ing")).exit_code, 0);
}

TEST_F(DatasetTest, EditedLabelOrPartitionIsCaughtNotTrainedOn) {
  TempDir dir;
  ASSERT_EQ(RunSnpflow(IngestArgs(dir / "ing", "-q")).exit_code, 0);
  const std::string table = ReadFile(dir / "ing/samples.tsv");
  const std::vector<std::string> classes = [&] {
    std::vector<std::string> c;
    std::istringstream in(ReadFile(dir / "ing/classes.txt"));
    for (std::string line; std::getline(in, line);) c.push_back(line);
    return c;
  }();
  ASSERT_GE(classes.size(), 2u);
  // Row 1: "sample<TAB>label<TAB>partition". Give it another (valid) class, then another fold.
  const size_t row = table.find('\n') + 1;
  const size_t tab1 = table.find('\t', row), tab2 = table.find('\t', tab1 + 1);
  const size_t eol = table.find('\n', tab2);
  const std::string label = table.substr(tab1 + 1, tab2 - tab1 - 1);
  const std::string other = label == classes[0] ? classes[1] : classes[0];
  const std::string partition = table.substr(tab2 + 1, eol - tab2 - 1);
  for (const std::string& edited :
       {table.substr(0, tab1 + 1) + other + table.substr(tab2),
        table.substr(0, tab2 + 1) + (partition == "0" ? "1" : "0") + table.substr(eol)}) {
    fs::remove_all(dir / "bad");
    fs::copy(dir / "ing", dir / "bad", fs::copy_options::recursive);
    WriteFile(dir / "bad/samples.tsv", edited);
    CommandResult r = RunSnpflow("export --data " + dir / "bad" + " -o " + dir / "out -q");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "snpflow: error: '" + dir / "bad/samples.tsv" +
                         "' does not match its checksum in " + dir / "bad/manifest.json" +
                         " (edited or corrupted?); re-run `snpflow ingest ... -o " +
                         dir / "bad" + " --force`\n");
  }
}

TEST_F(DatasetTest, DirectoryWithoutManifestOrWithABadOneIsRefused) {
  TempDir dir;
  ASSERT_EQ(RunSnpflow(IngestArgs(dir / "ing", "-q")).exit_code, 0);
  fs::copy(dir / "ing", dir / "old", fs::copy_options::recursive);
  fs::remove(dir / "old/manifest.json");
  CommandResult r = RunSnpflow("export --data " + dir / "old" + " -o " + dir / "out -q");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "snpflow: error: '" + dir / "old" +
                       "' has no manifest.json (written by an older snpflow, or the run that "
                       "wrote it was killed before its end); re-run `snpflow ingest ... -o " +
                       dir / "old" + " --force`\n");
  WriteFile(dir / "old/manifest.json", "{\"format_version\": 1, \"files\": [{\"path\": 1}]}");
  r = RunSnpflow("export --data " + dir / "old" + " -o " + dir / "out -q");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("'" + dir / "old/manifest.json" + "' is not a valid manifest"),
            std::string::npos)
      << r.err;
  // A manifest that omits a file the loader reads is not enough.
  std::string m = ReadFile(dir / "ing/manifest.json");
  size_t at = m.find("    {\"path\": \"counts.npy\"");
  ASSERT_NE(at, std::string::npos);
  WriteFile(dir / "old/manifest.json", m.substr(0, at) + m.substr(m.find('\n', at) + 1));
  r = RunSnpflow("export --data " + dir / "old" + " -o " + dir / "out -q");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("'" + dir / "old/counts.npy" + "' is not listed in"), std::string::npos)
      << r.err;
}

TEST_F(DatasetTest, EveryDamagedExportFileFailsVerify) {
  TempDir dir;
  ASSERT_EQ(RunSnpflow(IngestArgs(dir / "ing", "-q")).exit_code, 0);
  ASSERT_EQ(RunSnpflow("export --data " + dir / "ing" + " -o " + dir / "ex -q").exit_code, 0);
  const std::vector<std::string> files = ListedFiles(dir / "ex");
  for (const char* f : {"genotypes.npy", "labels.npy", "partitions.npy", "fold_0/mean.npy",
                        "fold_1/embedding.npy", "samples.tsv", "classes.txt", "variants.tsv"})
    EXPECT_NE(std::find(files.begin(), files.end(), f), files.end()) << f;
  CommandResult ok = RunSnpflow("verify " + dir / "ex");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.err, "snpflow verify: " + dir / "ex" + ": " + std::to_string(files.size()) +
                        " files match " + dir / "ex/manifest.json (export)\n");
  auto verify = [](const std::string& d) { return "verify -q " + d; };
  for (const auto& file : files)
    for (const auto& damage : Damages())
      ExpectDamageCaught(dir / "ex", dir / "bad", file, damage, verify);
}

// ---- Crash consistency: kill -9 at each output file's rename, rerun, compare ----

// ingest.json records run times; everything else must be equal byte for byte.
std::string WithoutTimes(const std::string& json) {
  std::string out;
  std::istringstream in(json);
  for (std::string field; std::getline(in, field, ',');)
    if (field.find("seconds\"") == std::string::npos)  // seconds, graph_seconds, source_seconds...
      out += field + ",";
  return out;
}

void ExpectSameIngest(const std::string& got, const std::string& want, const std::string& what) {
  const std::vector<std::string> files = ListedFiles(want);
  EXPECT_EQ(ListedFiles(got), files) << what;
  for (const auto& f : files) {
    if (f == "ingest.json")
      EXPECT_EQ(WithoutTimes(ReadFile(got + "/" + f)), WithoutTimes(ReadFile(want + "/" + f)))
          << what << ": " << f;
    else
      EXPECT_TRUE(ReadFile(got + "/" + f) == ReadFile(want + "/" + f)) << what << ": " << f;
  }
  EXPECT_EQ(io::ReadManifest(got, "").key, io::ReadManifest(want, "").key) << what;
}

TEST_F(DatasetTest, KilledIngestOrReIngestRerunsToACleanRunsBytes) {
  TempDir dir;
  const std::string opts_a = "--maf 0.02", opts_b = "--maf 0.2 --seed 7";
  ASSERT_EQ(RunSnpflow(IngestArgs(dir / "clean_a", opts_a)).exit_code, 0);
  ASSERT_EQ(RunSnpflow(IngestArgs(dir / "clean_b", opts_b)).exit_code, 0);
  std::vector<std::string> points = ListedFiles(dir / "clean_a");
  points.push_back("manifest.json");
  for (const auto& point : points) {
    for (const std::string action : {"kill", "kill-after"}) {
      // Killed before each rename; after a few (after the last one, the manifest, the run is
      // complete).
      if (action == "kill-after" && point != "store.snpf" && point != "counts.npy" &&
          point != "manifest.json")
        continue;
      const std::string at = point + " (" + action + ")";
      // A first ingest killed: nothing a later command would take for a data set.
      const std::string fresh = dir / "fresh";
      fs::remove_all(fresh);
      CommandResult k = RunShimmed(point, action, IngestArgs(fresh, opts_a));
      ASSERT_EQ(k.exit_code, 128 + SIGKILL) << at << ": " << k.err;
      const bool committed = point == "manifest.json" && action == "kill-after";
      CommandResult use = RunSnpflow("export --data " + fresh + " -o " + dir / "ex -q");
      EXPECT_EQ(use.exit_code, committed ? 0 : 1) << at << ": " << use.err;
      ASSERT_EQ(RunSnpflow(IngestArgs(fresh, opts_a)).exit_code, 0) << at;
      ExpectSameIngest(fresh, dir / "clean_a", "fresh ingest killed at " + at);

      // A re-ingest with other options killed over a complete one: the next run with either
      // set of options gives that set's clean result, never a mix.
      const std::string re = dir / "re";
      fs::remove_all(re);
      fs::copy(dir / "clean_a", re, fs::copy_options::recursive);
      k = RunShimmed(point, action, IngestArgs(re, opts_b));
      ASSERT_EQ(k.exit_code, 128 + SIGKILL) << at << ": " << k.err;
      CommandResult again = RunSnpflow(IngestArgs(re, committed ? opts_b : opts_a));
      ASSERT_EQ(again.exit_code, 0) << at << ": " << again.err;
      EXPECT_EQ(again.err.find("reusing") != std::string::npos, committed) << at << again.err;
      ExpectSameIngest(re, committed ? dir / "clean_b" : dir / "clean_a",
                       "re-ingest killed at " + at);
      ASSERT_EQ(RunSnpflow(IngestArgs(re, opts_b)).exit_code, 0) << at;
      ExpectSameIngest(re, dir / "clean_b", "re-ingest killed at " + at + ", then B");
    }
  }
}

// ---- One run per output directory ----

// Start `args` under the pausing shim in the background; return once it paused at the rename of
// `file` (holding its locks), with the pid of the shell running it.
pid_t StartPaused(const std::string& file, const std::string& args, const std::string& marker,
                  const std::string& log) {
  pid_t pid = fork();
  if (pid == 0) {
    // The sanitizer options of RunShell (`make asan`: suppressions, reports next to the marker).
    std::string cmd = testing::SanitizerEnv(fs::path(marker).parent_path().string()) +
                      "LD_PRELOAD=" SNPFLOW_KILL_SHIM " SNPFLOW_SHIM_FILE=" + file +
                      " SNPFLOW_SHIM_ACTION=pause SNPFLOW_SHIM_MARKER=" + marker + " exec " +
                      testing::SnpflowCli() + " " + args + " >" + log + " 2>&1";
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 3000 && !fs::exists(marker); ++i) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return -1;  // it ended without pausing
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pid;
}

int Finish(pid_t pid, const std::string& marker) {
  fs::remove(marker);
  if (pid <= 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  const std::string reports =
      testing::CollectSanitizerReports(fs::path(marker).parent_path().string());
  if (!reports.empty()) ADD_FAILURE() << "sanitizer report from the paused run:\n" << reports;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST_F(DatasetTest, SecondRunIntoTheSameOutputFailsAtOnceNamingTheHolder) {
  TempDir dir;
  const std::string marker = dir / "paused";
  // An ingest paused just before it renames store.snpf into place holds -o.
  pid_t first = StartPaused("store.snpf", IngestArgs(dir / "ing", "-q"), marker, dir / "log");
  ASSERT_TRUE(fs::exists(marker)) << ReadFile(dir / "log");
  const auto start = std::chrono::steady_clock::now();
  CommandResult second = RunSnpflow(IngestArgs(dir / "ing", "-q --force"));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(second.exit_code, 1) << second.err;
  EXPECT_EQ(second.err.rfind("snpflow: error: '" + dir / "ing" + "' is in use by snpflow ingest (pid ",
                             0),
            0u)
      << second.err;
  EXPECT_NE(second.err.find(" on "), std::string::npos);
  EXPECT_NE(second.err.find("ingest " + Vcf()), std::string::npos) << second.err;
  EXPECT_NE(second.err.find("); wait for it or use another -o\n"), std::string::npos);
  EXPECT_LT(seconds, 20.0);  // not waiting for the holder, which waits for us
  EXPECT_EQ(Finish(first, marker), 0) << ReadFile(dir / "log");
  // The holder finished undisturbed; the directory is a complete ingest, free again.
  EXPECT_EQ(RunSnpflow("verify -q " + dir / "ing").exit_code, 0);
  EXPECT_EQ(RunSnpflow(IngestArgs(dir / "ing", "-q --force")).exit_code, 0);

  // Export takes its -o the same way.
  first = StartPaused("labels.npy", "export --data " + dir / "ing" + " -o " + dir / "ex -q", marker,
                      dir / "log");
  ASSERT_TRUE(fs::exists(marker)) << ReadFile(dir / "log");
  second = RunSnpflow("export --data " + dir / "ing" + " -o " + dir / "ex -q");
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.err.find("'" + dir / "ex" + "' is in use by snpflow export (pid "),
            std::string::npos)
      << second.err;
  EXPECT_EQ(Finish(first, marker), 0) << ReadFile(dir / "log");
}

// ---- The cache: reuse only an identical input and options ----

bool Reused(const CommandResult& r) { return r.err.find("[ingest] reusing") != std::string::npos; }

TEST_F(DatasetTest, CacheSeesMtimeCtimeContentsAndEveryOption) {
  TempDir dir;
  // A plain-text copy of the VCF, so its contents can change without changing its size.
  ASSERT_EQ(RunShell("zcat " + Vcf() + " > " + dir / "in.vcf").exit_code, 0);
  fs::copy(Panel(), dir / "in.panel");
  auto ingest = [&](const std::string& extra = "") {
    return RunSnpflow("ingest " + dir / "in.vcf" + " --labels " + dir / "in.panel" +
                      (extra.find("--folds") == std::string::npos ? " --folds 3" : "") +
                      " -o " + dir / "ing " + extra);
  };
  ASSERT_EQ(ingest().exit_code, 0);
  CommandResult r = ingest();
  EXPECT_TRUE(Reused(r)) << r.err;  // identical rerun

  // mtime: touch.
  ASSERT_EQ(RunShell("touch " + dir / "in.vcf").exit_code, 0);
  EXPECT_FALSE(Reused(ingest()));
  EXPECT_TRUE(Reused(ingest()));

  // Same size, same mtime, other contents (one genotype changed; the mtime restored): ctime.
  const std::string counts_before = ReadFile(dir / "ing/counts.npy");
  std::string vcf = ReadFile(dir / "in.vcf");
  size_t at = vcf.find("\t0/0", vcf.find("\n", vcf.find("#CHROM")));
  ASSERT_NE(at, std::string::npos);
  vcf.replace(at, 4, "\t1/1");
  ASSERT_EQ(RunShell("cp -p " + dir / "in.vcf" + " " + dir / "ref").exit_code, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  WriteFile(dir / "in.vcf", vcf);
  ASSERT_EQ(RunShell("touch -r " + dir / "ref" + " " + dir / "in.vcf").exit_code, 0);
  struct stat a {}, b {};
  ASSERT_EQ(stat((dir / "ref").c_str(), &a), 0);
  ASSERT_EQ(stat((dir / "in.vcf").c_str(), &b), 0);
  ASSERT_EQ(a.st_size, b.st_size);
  ASSERT_EQ(a.st_mtim.tv_nsec, b.st_mtim.tv_nsec);
  r = ingest();
  EXPECT_FALSE(Reused(r)) << r.err;
  EXPECT_NE(ReadFile(dir / "ing/counts.npy"), counts_before);  // really redone
  EXPECT_TRUE(Reused(ingest()));

  // The label file.
  ASSERT_EQ(RunShell("touch " + dir / "in.panel").exit_code, 0);
  EXPECT_FALSE(Reused(ingest()));

  // Every option that changes the output, then the same options again.
  ASSERT_EQ(RunShell("cut -f1 " + dir / "in.panel" + " | tail -n +2 | head -40 > " +
                     dir / "keep.txt").exit_code, 0);
  for (const std::string& opts : std::vector<std::string>{"--folds 4", "--seed 2", "--label-column super_pop", "--maf 0.1", "--max-missing 0.005",
        "-S " + dir / "keep.txt", "--filter.snps-only false", "--store.zstd-level 5"}) {
    r = ingest(opts);
    ASSERT_EQ(r.exit_code, 0) << opts << ": " << r.err;
    EXPECT_FALSE(Reused(r)) << opts;
    EXPECT_TRUE(Reused(ingest(opts))) << opts;
  }
  // Regions (on the indexed VCF.gz).
  for (const std::string opts : {"", "-r 1:1-2000000"}) {
    r = RunSnpflow(IngestArgs(dir / "gz", opts));
    ASSERT_EQ(r.exit_code, 0) << opts << ": " << r.err;
    EXPECT_FALSE(Reused(r)) << opts;
  }
  EXPECT_TRUE(Reused(RunSnpflow(IngestArgs(dir / "gz", "-r 1:1-2000000"))));
  // stdin is never cached.
  EXPECT_EQ(RunShell("cat " + dir / "in.vcf" + " | " + testing::SnpflowCli() + " ingest - --labels " +
                     dir / "in.panel" + " --folds 3 -o " + dir / "pipe").exit_code, 0);
  r = RunShell("cat " + dir / "in.vcf" + " | " + testing::SnpflowCli() + " ingest - --labels " +
               dir / "in.panel" + " --folds 3 -o " + dir / "pipe");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(Reused(r));
}

// A cached directory whose files no longer verify is redone, not reused.
TEST_F(DatasetTest, CacheRedoesADamagedDirectory) {
  TempDir dir;
  ASSERT_EQ(RunSnpflow(IngestArgs(dir / "ing", "-q")).exit_code, 0);
  fs::copy(dir / "ing", dir / "clean", fs::copy_options::recursive);
  std::string bytes = ReadFile(dir / "ing/variants.tsv");
  bytes[bytes.size() - 1] ^= 1;
  WriteFile(dir / "ing/variants.tsv", bytes);
  CommandResult r = RunSnpflow(IngestArgs(dir / "ing"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(Reused(r));
  EXPECT_NE(r.err.find("[ingest] not reusing " + dir / "ing" + ": '" + dir / "ing/variants.tsv" +
                       "' does not match its checksum"),
            std::string::npos)
      << r.err;
  ExpectSameIngest(dir / "ing", dir / "clean", "redone");
}

}  // namespace
}  // namespace snpflow
