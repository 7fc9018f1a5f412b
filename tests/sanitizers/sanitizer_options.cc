// Linked into every test binary of a sanitizer build (SNPFLOW_SANITIZE or SNPFLOW_FUZZ): the
// runtime asks these hooks for its defaults before main(), so `ctest` and a test binary run by
// hand behave alike. Variables in the environment (ASAN_OPTIONS, ...) still override them.
// The CLI subprocesses the tests start get the same settings from RunShell (test_util.cc),
// which adds log_path so that their reports are collected and fail the test.

extern "C" {

/// Stop at the first error; report leaks; exit 1 rather than abort (ctest then shows the report).
/// allocator_may_return_null=1: an allocation that cannot be served (above ASan's 1 TiB maximum,
/// or out of memory) returns null as glibc's malloc does, instead of an ASan abort, so the tests
/// of our out-of-memory handling (GuardTorch's 4 PiB tensor in train_tests) see what a release
/// build sees. Memory errors are still reported as before.
const char* __asan_default_options() {
  return "halt_on_error=1:abort_on_error=0:detect_leaks=1:detect_stack_use_after_return=0:"
         "strict_string_checks=1:check_initialization_order=1:verify_asan_link_order=0:"
         "allocator_may_return_null=1";
}

/// Third-party leaks only; each line of the file says why.
// A suppressed leak is not a report: no "Suppressions used" summary in the log (a CLI
// subprocess's log file fails its test, tests/fixtures/test_util.cc).
const char* __lsan_default_options() {
  return "suppressions=" SNPFLOW_SANITIZER_DIR "/lsan.supp:print_suppressions=0";
}

/// Every undefined-behaviour report is fatal; third-party suppressions in ubsan.supp.
const char* __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1:suppressions=" SNPFLOW_SANITIZER_DIR "/ubsan.supp";
}

}  // extern "C"
