// TEMPORARY placeholder, replaced by the real command.
#include "pipeline/cli/commands.h"
#include "pipeline/error.h"

namespace snpflow::cli {
int IngestCommand(const Args&) { throw Error("'ingest' is not built yet"); }
int RunCommand(const Args&) { throw Error("'run' is not built yet"); }
}  // namespace snpflow::cli
