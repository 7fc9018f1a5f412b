// TEMPORARY placeholder, replaced by the real command.
#include "pipeline/cli/commands.h"
#include "pipeline/error.h"

namespace snpflow::cli {
int PredictCommand(const Args&) { throw Error("'predict' is not built yet"); }
}  // namespace snpflow::cli
