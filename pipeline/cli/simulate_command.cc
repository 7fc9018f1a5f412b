// TEMPORARY placeholder, replaced by the real command.
#include "pipeline/cli/commands.h"
#include "pipeline/error.h"

namespace snpflow::cli {
int SimulateCommand(const Args&) { throw Error("'simulate' is not built yet"); }
}  // namespace snpflow::cli
