#include "pipeline/error.h"

namespace snpflow {
// Out-of-line destructors keep each error's type info in libsnpflow only (one copy for plugins).
Error::~Error() = default;
InputError::~InputError() = default;
FormatError::~FormatError() = default;
ConfigError::~ConfigError() = default;
PluginError::~PluginError() = default;
}  // namespace snpflow
