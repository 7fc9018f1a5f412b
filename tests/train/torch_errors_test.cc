// LibTorch errors in snpflow's words (stages/train/torch_errors.h): one line, no C++ backtrace,
// and for allocation failures the options to lower. Also through the CLI.
#include "stages/train/torch_errors.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <new>
#include <stdexcept>
#include <string>

#include "tests/fixtures/test_util.h"

namespace snpflow {
namespace {

using testing::RunShell;
using testing::RunSnpflow;
using testing::TempDir;

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no snpflow::Error)";
}

TEST(GuardTorch, AC10ErrorBecomesOneLineWithoutBacktrace) {
  const std::string msg = ErrorOf([] {
    GuardTorch("trainer 'x', fold 1", "lower it", [] { TORCH_CHECK(false, "shapes differ"); });
  });
  EXPECT_EQ(msg, "trainer 'x', fold 1: LibTorch: shapes differ");
}

TEST(GuardTorch, AnAllocationFailureSaysWhatToLower) {
  const std::string msg = ErrorOf([] {
    // 4 PiB: more than any address space, so this fails on every machine at once.
    GuardTorch("trainer 'x', fold 0", "lower --train.hidden (now 7)",
               [] { return torch::empty({int64_t{1} << 50}); });
  });
  EXPECT_EQ(msg.rfind("trainer 'x', fold 0: out of memory (LibTorch: ", 0), 0u) << msg;
  EXPECT_NE(msg.find("can't allocate memory"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("enforce fail"), std::string::npos) << msg;  // c10's internals are cut
  const std::string tail =
      " bytes. Error code 12 (Cannot allocate memory)); lower --train.hidden (now 7)";
  ASSERT_GE(msg.size(), tail.size());
  EXPECT_EQ(msg.substr(msg.size() - tail.size()), tail) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  EXPECT_EQ(ErrorOf([] { GuardTorch("load", "use less", [] { throw std::bad_alloc(); }); }),
            "load: out of memory; use less");
}

TEST(GuardTorch, OurErrorsAndOthersPassThroughUnchanged) {
  EXPECT_EQ(ErrorOf([] { GuardTorch("w", "a", [] { throw InputError("fold 0 is empty"); }); }),
            "fold 0 is empty");
  EXPECT_THROW(GuardTorch("w", "a", [] { throw std::out_of_range("x"); }), std::out_of_range);
  EXPECT_EQ(GuardTorch("w", "a", [] { return 7; }), 7);
}

TEST(TorchErrorText, GivesAC10ErrorsMessageWithoutBacktrace) {
  std::string text;
  try {
    TORCH_CHECK(false, "bad tensor");
  } catch (const c10::Error& e) {
    ASSERT_NE(std::string(e.what()).find('\n'), std::string::npos) << "what() has a backtrace";
    ASSERT_TRUE(TorchErrorText(e, &text));
  }
  EXPECT_EQ(text, "bad tensor");
  EXPECT_FALSE(TorchErrorText(std::runtime_error("x"), &text));
}

TEST(TrainCli, TooLargeAModelIsOneLineSayingWhatToLower) {
  // An address-space limit makes every large allocation fail at once, whatever the machine's
  // memory and overcommit policy (sanitizer builds need more address space: skipped there).
  const std::string limit = "ulimit -v 4000000 && ";
#if defined(__SANITIZE_ADDRESS__)
  // ASan reserves terabytes of shadow address space at start: the probe below would fail with an
  // ASan report (which RunShell counts as a finding), not with a clean refusal to start.
  GTEST_SKIP() << "an ASan build cannot start under an address-space limit";
#endif
  if (RunShell(limit + testing::SnpflowCli() + " stages >/dev/null").exit_code != 0)
    GTEST_SKIP() << "snpflow does not start under a 4 GB address-space limit";
  TempDir dir;
  auto r = RunSnpflow("simulate -q --samples 60 --snps 200 -o " + (dir / "sim.vcf.gz"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = RunSnpflow("ingest -q " + (dir / "sim.vcf.gz") + " --labels " + (dir / "sim.panel") +
                 " -o " + (dir / "ingest"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = RunShell(limit + testing::SnpflowCli() + " train -q --data " + (dir / "ingest") + " -o " +
               (dir / "train") + " --train.hidden 100000000 --train.epochs 1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("snpflow: error: trainer 'dietnet', fold 0: out of memory (LibTorch: "
                        "DefaultCPUAllocator: can't allocate memory: you tried to allocate ",
                        0),
            0u)
      << r.err;
  const std::string advice =
      "); lower --train.hidden (now 100000000), --train.aux-hidden (now 100) or "
      "--batcher.batch-size\n";
  ASSERT_GE(r.err.size(), advice.size());
  EXPECT_EQ(r.err.substr(r.err.size() - advice.size()), advice) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

}  // namespace
}  // namespace snpflow
