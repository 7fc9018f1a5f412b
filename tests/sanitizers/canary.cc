// A deliberately broken program for sanitizer_plumbing_test.cc (sanitizer builds only): with
// argument "heap" it reads past a heap buffer, with "ub" it overflows a signed int, with "leak"
// it leaks; then it exits 1, as a CLI error would. The test checks that RunShell turns each
// report into a test failure even though the exit status looks like an ordinary error.
#include <cstdio>
#include <cstdlib>
#include <cstring>

void* volatile g_block = nullptr;

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  volatile int sink = 0;
  if (std::strcmp(argv[1], "heap") == 0) {
    // A size known only at run time, so that UBSan's object-size check stays out of the way.
    int* p = new int[static_cast<size_t>(argc) + 2];
    sink = p[argc + 2];  // argc == 2: index 4, one past the end
    delete[] p;
  } else if (std::strcmp(argv[1], "ub") == 0) {
    int big = 0x7fffffff - 1 + argc;  // INT_MAX
    sink = big + argc;                // signed overflow
  } else if (std::strcmp(argv[1], "leak") == 0) {
    // Ten blocks, each pointer overwritten by the next: at most one can linger in a register.
    for (int i = 0; i < 10; ++i) g_block = std::malloc(100 + static_cast<size_t>(argc));
    g_block = nullptr;
  }
  std::fprintf(stderr, "canary: error %d\n", sink);
  return 1;
}
