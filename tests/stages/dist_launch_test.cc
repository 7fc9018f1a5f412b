// The distributed launch environment (torchrun, Slurm), the [dist] options and the per-rank
// slices of each minibatch.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "pipeline/error.h"
#include "stages/dist_launch.h"
#include "stages/shard_batch_source.h"

namespace snpflow {
namespace {

LaunchEnv Read(bool requested, const std::map<std::string, std::string>& vars) {
  return ReadLaunchEnv(requested, [&](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

std::string ErrorOf(bool requested, const std::map<std::string, std::string>& vars) {
  try {
    Read(requested, vars);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(LaunchEnv, TorchrunVariablesStartADistributedRunWithoutTheFlag) {
  LaunchEnv env = Read(false, {{"MASTER_ADDR", "node1"}, {"MASTER_PORT", "29400"},
                               {"WORLD_SIZE", "4"}, {"RANK", "3"}});
  EXPECT_TRUE(env.distributed);
  EXPECT_EQ(env.rank, 3);
  EXPECT_EQ(env.world_size, 4);
  EXPECT_EQ(env.master_addr, "node1");
  EXPECT_EQ(env.master_port, 29400);
  EXPECT_EQ(env.launcher, "torchrun");
}

TEST(LaunchEnv, PlainRunsStayPlain) {
  EXPECT_FALSE(Read(false, {}).distributed);
  EXPECT_FALSE(Read(false, {{"WORLD_SIZE", "1"}, {"RANK", "0"}}).distributed);
  EXPECT_FALSE(Read(false, {{"SLURM_NTASKS", "8"}, {"SLURM_PROCID", "2"}}).distributed)
      << "a Slurm job step is distributed only with --dist";
}

TEST(LaunchEnv, SlurmVariablesWithTheFlagAndTheDefaultPort) {
  LaunchEnv env =
      Read(true, {{"SLURM_NTASKS", "8"}, {"SLURM_PROCID", "5"}, {"MASTER_ADDR", "10.0.0.1"}});
  EXPECT_TRUE(env.distributed);
  EXPECT_EQ(env.rank, 5);
  EXPECT_EQ(env.world_size, 8);
  EXPECT_EQ(env.master_port, 29500);
  EXPECT_EQ(env.launcher, "slurm");
  // A single-rank --dist run is still a (trivial) distributed run.
  EXPECT_TRUE(Read(true, {{"WORLD_SIZE", "1"}, {"RANK", "0"}, {"MASTER_ADDR", "h"}}).distributed);
}

TEST(LaunchEnv, MissingOrBadVariablesAreNamed) {
  EXPECT_NE(ErrorOf(true, {}).find("--dist: no launch environment"), std::string::npos);
  EXPECT_NE(ErrorOf(false, {{"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}})
                .find("environment variable RANK is not set"),
            std::string::npos);
  EXPECT_NE(ErrorOf(false, {{"WORLD_SIZE", "2"}, {"RANK", "2"}, {"MASTER_ADDR", "h"}})
                .find("rank 2 is out of range 0..1"),
            std::string::npos);
  EXPECT_NE(ErrorOf(false, {{"WORLD_SIZE", "two"}, {"RANK", "0"}})
                .find("WORLD_SIZE='two' is not an integer"),
            std::string::npos);
  EXPECT_NE(ErrorOf(true, {{"SLURM_NTASKS", "2"}, {"SLURM_PROCID", "0"}})
                .find("MASTER_ADDR is not set; set it to rank 0's host name or address (e.g. "
                      "export MASTER_ADDR=$(scontrol show hostnames"),
            std::string::npos);
  EXPECT_NE(ErrorOf(false, {{"WORLD_SIZE", "2"}, {"RANK", "0"}, {"MASTER_ADDR", "h"},
                            {"MASTER_PORT", "70000"}})
                .find("MASTER_PORT=70000 is not a TCP port"),
            std::string::npos);
}

TEST(DistOptions, DefaultsAndValidation) {
  DistOptions o = BuildDistOptions({});
  EXPECT_EQ(o.timeout, 300);
  EXPECT_EQ(o.parallel, "data");
  EXPECT_EQ(BuildDistOptions({{"timeout", "2.5"}}).timeout, 2.5);
  EXPECT_THROW(BuildDistOptions({{"timeout", "0"}}), ConfigError);
  EXPECT_THROW(BuildDistOptions({{"parallel", "pipeline"}}), ConfigError);
  EXPECT_EQ(BuildDistOptions({{"parallel", "snp"}}).parallel, "snp");
}

// Batches of 7, 7 and 3 rows; x holds the row's global index.
class FixedBatches : public BatchSource {
 public:
  FixedBatches() {
    for (int64_t i = 0; i < 17; ++i) {
      x_.push_back(static_cast<float>(i));
      x_.push_back(static_cast<float>(-i));
      labels_.push_back(i % 3);
      samples_.push_back(100 + i);
    }
  }
  void Start(int) override { next_ = 0; }
  bool Next(Batch* b) override {
    static const int64_t kStarts[] = {0, 7, 14, 17};
    if (next_ >= 3) return false;
    const int64_t lo = kStarts[next_], hi = kStarts[next_ + 1];
    ++next_;
    b->x = x_.data() + lo * 2;
    b->cols = 2;
    b->rows = hi - lo;
    b->labels = labels_.data() + lo;
    b->samples = samples_.data() + lo;
    return true;
  }
  int64_t num_samples() const override { return 17; }
  int64_t num_features() const override { return 2; }

 private:
  std::vector<float> x_;
  std::vector<int64_t> labels_, samples_;
  int next_ = 0;
};

// The samples each rank sees in one epoch, batch by batch.
std::vector<std::vector<int64_t>> Slices(int rank, int world, int64_t min_rows) {
  FixedBatches inner;
  ShardedBatchSource shard(inner, rank, world, min_rows);
  shard.Start(0);
  std::vector<std::vector<int64_t>> out;
  Batch b;
  while (shard.Next(&b)) {
    std::vector<int64_t> rows;
    for (int64_t i = 0; i < b.rows; ++i) {
      EXPECT_EQ(b.x[i * 2], static_cast<float>(b.samples[i] - 100));
      EXPECT_EQ(b.labels[i], (b.samples[i] - 100) % 3);
      rows.push_back(b.samples[i]);
    }
    out.push_back(rows);
  }
  return out;
}

TEST(ShardedBatchSource, RanksPartitionEachBatchInOrder) {
  using V = std::vector<std::vector<int64_t>>;
  // Evaluation (min_rows 0): 7 rows -> 2 + 2 + 3 over three ranks; 3 rows -> 1 + 1 + 1.
  EXPECT_EQ(Slices(0, 3, 0), (V{{100, 101}, {107, 108}, {114}}));
  EXPECT_EQ(Slices(1, 3, 0), (V{{102, 103}, {109, 110}, {115}}));
  EXPECT_EQ(Slices(2, 3, 0), (V{{104, 105, 106}, {111, 112, 113}, {116}}));
  // Training (min_rows 2): the last batch would give single rows, so every rank skips it.
  EXPECT_EQ(Slices(0, 3, 2), (V{{100, 101}, {107, 108}}));
  EXPECT_EQ(Slices(2, 3, 2), (V{{104, 105, 106}, {111, 112, 113}}));
  // Two ranks: 3 + 4, and the 3-row batch gives 1 + 2, skipped for training on both ranks.
  EXPECT_EQ(Slices(0, 2, 2), (V{{100, 101, 102}, {107, 108, 109}}));
  EXPECT_EQ(Slices(1, 2, 2), (V{{103, 104, 105, 106}, {110, 111, 112, 113}}));
  EXPECT_EQ(Slices(1, 2, 0), (V{{103, 104, 105, 106}, {110, 111, 112, 113}, {115, 116}}));
  // One rank is the inner source.
  EXPECT_EQ(Slices(0, 1, 2).size(), 3u);
  FixedBatches inner;
  EXPECT_THROW(ShardedBatchSource(inner, 2, 2, 0), Error);
}

}  // namespace
}  // namespace snpflow
