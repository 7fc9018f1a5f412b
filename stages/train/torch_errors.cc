#include "stages/train/torch_errors.h"

#include <c10/util/Exception.h>

#include <new>

namespace snpflow {
namespace {

/// The first line of `text` (c10 messages may carry context lines).
std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

bool IsAllocationFailure(const std::string& message) {
  for (const char* sign : {"can't allocate memory", "Cannot allocate memory", "out of memory",
                           "not enough memory"})
    if (message.find(sign) != std::string::npos) return true;
  return false;
}

}  // namespace

bool TorchErrorText(const std::exception& e, std::string* out) {
  const auto* c10_error = dynamic_cast<const c10::Error*>(&e);
  if (c10_error == nullptr) return false;
  *out = c10_error->what_without_backtrace();
  return true;
}

void RethrowTorchError(const std::string& what, const std::string& advice) {
  try {
    throw;
  } catch (const c10::Error& e) {
    std::string message = FirstLine(e.what_without_backtrace());
    if (IsAllocationFailure(message)) {
      // "[enforce fail at alloc_cpu.cpp:75] err == 0. DefaultCPUAllocator: ...": keep the part
      // a user can read.
      const size_t readable = message.find("DefaultCPUAllocator");
      if (readable != std::string::npos) message.erase(0, readable);
      throw Error(what + ": out of memory (LibTorch: " + message + "); " + advice);
    }
    throw Error(what + ": LibTorch: " + message);
  } catch (const std::bad_alloc&) {
    throw Error(what + ": out of memory; " + advice);
  }
}

}  // namespace snpflow
