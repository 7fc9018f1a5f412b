#pragma once
/// LibTorch's errors in snpflow's words. c10::Error carries a C++ backtrace in what(), and an
/// allocation failure deep in a layer says nothing about which option made it large; GuardTorch
/// turns both into one line naming what failed and what to lower. Torch-free header.
#include <string>
#include <utility>

#include "pipeline/error.h"

namespace snpflow {

/// Rethrow the exception being handled: a c10::Error or std::bad_alloc becomes an Error
///   "<what>: out of memory (<LibTorch's message>); <advice>"   (allocation failures)
///   "<what>: LibTorch: <message without backtrace>"              (other c10::Errors)
/// and anything else is rethrown as it is. Call only from inside a catch block.
[[noreturn]] void RethrowTorchError(const std::string& what, const std::string& advice);

/// Run `body` and report what LibTorch throws as RethrowTorchError does. `what` names the work
/// ("trainer 'dietnet', fold 0"); `advice` says which options to lower when memory runs out.
template <class F>
auto GuardTorch(const std::string& what, const std::string& advice, F&& body)
    -> decltype(body()) {
  try {
    return std::forward<F>(body)();
  } catch (const Error&) {
    throw;
  } catch (...) {
    RethrowTorchError(what, advice);
  }
}

/// The message of `e` without a backtrace if it is a c10::Error (into `*out`; returns true);
/// false for any other exception.
bool TorchErrorText(const std::exception& e, std::string* out);

}  // namespace snpflow
