#include "pipeline/communicator.h"

namespace snpflow {

DistributedError::~DistributedError() = default;
Communicator::~Communicator() = default;

}  // namespace snpflow
