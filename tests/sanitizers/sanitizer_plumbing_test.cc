// `make asan` only: a sanitizer report from a subprocess started through RunShell fails the test
// (the CLI's exit status 1 would otherwise look like an expected error), and the report text is
// shown. Uses a deliberately broken program (canary.cc).
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include "tests/fixtures/test_util.h"

namespace snpflow::testing {
namespace {

TEST(SanitizerPlumbing, HeapOverflowInASubprocessFailsTheTest) {
  CommandResult r;
  EXPECT_NONFATAL_FAILURE(r = RunShell(std::string(SNPFLOW_CANARY) + " heap"),
                          "AddressSanitizer: heap-buffer-overflow");
  EXPECT_EQ(r.exit_code, kSanitizerExitCode);
  EXPECT_NE(r.err.find("heap-buffer-overflow"), std::string::npos) << r.err;
}

TEST(SanitizerPlumbing, UndefinedBehaviourInASubprocessFailsTheTest) {
  CommandResult r;
  EXPECT_NONFATAL_FAILURE(r = RunShell(std::string(SNPFLOW_CANARY) + " ub"),
                          "signed integer overflow");
  EXPECT_EQ(r.exit_code, kSanitizerExitCode);
}

TEST(SanitizerPlumbing, LeakInASubprocessFailsTheTest) {
  CommandResult r;
  EXPECT_NONFATAL_FAILURE(r = RunShell(std::string(SNPFLOW_CANARY) + " leak"),
                          "LeakSanitizer: detected memory leaks");
  EXPECT_EQ(r.exit_code, kSanitizerExitCode);
}

TEST(SanitizerPlumbing, ACleanRunPassesWithItsOwnExitStatus) {
  const CommandResult r = RunShell(std::string(SNPFLOW_CANARY) + " none");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "canary: error 0\n");
}

}  // namespace
}  // namespace snpflow::testing
