// TEMPORARY placeholder, replaced by the real command.
#include "pipeline/cli/commands.h"
#include "pipeline/error.h"

namespace snpflow::cli {
int TrainCommand(const Args&) { throw Error("'train' is not built yet"); }
}  // namespace snpflow::cli
