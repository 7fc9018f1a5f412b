// TEMPORARY placeholder, replaced by the real command.
#include "pipeline/cli/commands.h"
#include "pipeline/error.h"

namespace snpflow::cli {
int StagesCommand(const Args&) { throw Error("'stages' is not built yet"); }
}  // namespace snpflow::cli
