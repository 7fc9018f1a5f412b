#pragma once
/// Distributed ingest: `snpflow ingest -r REGION` on each machine writes a shard (an ingest of
/// one region); MergeShards joins shards along the SNP axis into one data set, the same bytes a
/// single ingest of the whole file writes (docs/distributed.md).
#include <cstdint>
#include <string>
#include <vector>

namespace snpflow {

struct MergeSummary {
  int shards = 0;
  uint64_t variants = 0;
  uint64_t records = 0;
};

/// Merge the ingest directories `shards`, given in genome order, into `output_dir`: store.snpf,
/// variants.tsv, counts.npy, fold_<f>/{stats,embedding}.npy, samples.tsv, classes.txt and
/// ingest.json, written by the same functions as `snpflow ingest`. Throws InputError, naming the
/// shard, when samples, labels, folds, classes or ingest options differ (input file and region
/// may differ), or when regions overlap or are out of order: within a chromosome positions must
/// increase from shard to shard, and a chromosome must not return after another one (shards do
/// not record the VCF header's contig order, so the order of chromosomes is taken as given).
MergeSummary MergeShards(const std::vector<std::string>& shards, const std::string& output_dir,
                         bool quiet);

}  // namespace snpflow
