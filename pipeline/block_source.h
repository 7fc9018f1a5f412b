#pragma once
/// Where the ingest graph's blocks come from: the one serial step of the graph. io::VcfSource
/// implements it for VCF/BCF; tests and other formats may bring their own.
#include "pipeline/variant_block.h"

namespace snpflow {

class BlockSource {
 public:
  virtual ~BlockSource();
  /// Fill `block` with the next records (variants[].record, raw, dropped sized to the block).
  /// Return false at the end of the input. Called serially by the graph's source node; throws
  /// snpflow::Error naming the file and record on bad input.
  virtual bool ReadBlock(VariantBlock& block) = 0;
};

}  // namespace snpflow
