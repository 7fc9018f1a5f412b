// TEMPORARY placeholder, replaced by the real command.
#include "pipeline/cli/commands.h"
#include "pipeline/error.h"

namespace snpflow::cli {
int ExportCommand(const Args&) { throw Error("'export' is not built yet"); }
}  // namespace snpflow::cli
