// Distributed data-parallel training: the collectives' arithmetic in one process (threads as
// ranks), then real ranks of `snpflow train` over c10d/Gloo on 127.0.0.1.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <torch/torch.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "pipeline/communicator.h"
#include "stages/shard_batch_source.h"
#include "stages/train/distributed.h"
#include "stages/train/models.h"
#include "stages/train/snp_features.h"
#include "tests/fixtures/test_util.h"

namespace snpflow {
namespace {

namespace fs = std::filesystem;

// ---- In-process ranks: W threads sum through shared memory ----

class ThreadGroup {
 public:
  explicit ThreadGroup(int world) : world_(world) {}
  // Sum `n` doubles from every rank; each rank gets the total.
  void Sum(int rank, double* data, size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    const int64_t round = round_;
    if (arrived_ == 0) acc_.assign(n, 0.0);
    pending_[rank].assign(data, data + n);
    if (++arrived_ == world_) {
      // Sum in rank order, so every rank gets bitwise the same result.
      for (int r = 0; r < world_; ++r)
        for (size_t i = 0; i < n; ++i) acc_[i] += pending_[r][i];
      arrived_ = 0;
      ++round_;
      result_ = acc_;
      cv_.notify_all();
    } else {
      cv_.wait(lock, [&] { return round_ != round; });
    }
    std::copy(result_.begin(), result_.end(), data);
  }
  int world() const { return world_; }

 private:
  int world_;
  std::mutex mu_;
  std::condition_variable cv_;
  int arrived_ = 0;
  int64_t round_ = 0;
  std::vector<double> acc_, result_;
  std::map<int, std::vector<double>> pending_;
};

class ThreadCommunicator : public Communicator {
 public:
  ThreadCommunicator(ThreadGroup& group, int rank) : group_(group), rank_(rank) {}
  int rank() const override { return rank_; }
  int world_size() const override { return group_.world(); }
  void AllreduceSum(double* data, size_t n) override { group_.Sum(rank_, data, n); }
  void AllreduceSum(float* data, size_t n) override {
    std::vector<double> d(data, data + n);
    group_.Sum(rank_, d.data(), n);
    for (size_t i = 0; i < n; ++i) data[i] = static_cast<float>(d[i]);
  }
  void Broadcast(float* data, size_t n, int root) override {
    std::vector<double> d(n, 0.0);
    if (rank_ == root) d.assign(data, data + n);
    group_.Sum(rank_, d.data(), n);
    for (size_t i = 0; i < n; ++i) data[i] = static_cast<float>(d[i]);
  }
  uint64_t bytes_communicated() const override { return 0; }

 private:
  ThreadGroup& group_;
  int rank_;
};

struct StepResult {
  torch::Tensor logits;                // this rank's rows
  std::vector<torch::Tensor> grads;    // after the allreduce
  std::vector<torch::Tensor> buffers;  // BN running stats after the step
};

// One training step of a dietnet (dropout 0) on rows [lo, hi) of x, as rank `comm` (or alone).
StepResult Step(const torch::Tensor& x, const torch::Tensor& y, int64_t lo, int64_t hi,
                Communicator* comm) {
  NetConfig net;
  net.n_snps = x.size(1);
  net.n_classes = 3;
  net.hidden = 8;
  net.aux_hidden = 6;
  net.dropout1 = net.dropout2 = 0;
  net.decoder = true;
  net.embedding_cols = 4 * net.n_classes;
  GenotypeNet model{nullptr};
  {
    // The ranks are threads sharing LibTorch's global generator: seed and draw one at a time, so
    // every rank (and the single process) starts from the same embedding and weights.
    static std::mutex init;
    std::lock_guard<std::mutex> lock(init);
    torch::manual_seed(7);
    SnpFeatures features;
    features.embedding = torch::rand({net.n_snps, net.embedding_cols});
    model = GenotypeNet(net, features, torch::zeros({net.n_snps}), torch::ones({net.n_snps}));
  }
  model->train();
  if (comm != nullptr) {
    BroadcastModel(*comm, *model);
    model->set_train_norm([comm](torch::nn::BatchNorm1dImpl& bn, const torch::Tensor& h) {
      return SyncBatchNorm(*comm, bn, h);
    });
  }
  torch::Tensor xs = x.narrow(0, lo, hi - lo), ys = y.narrow(0, lo, hi - lo);
  auto out = model->forward(xs);
  torch::Tensor loss = torch::nn::functional::cross_entropy(out.logits, ys) +
                       0.5 * torch::mse_loss(out.reconstruction, xs);
  loss.backward();
  if (comm != nullptr) AllreduceGradients(*comm, model->parameters(), hi - lo);
  StepResult r;
  r.logits = out.logits.detach().clone();
  for (const auto& p : model->parameters()) r.grads.push_back(p.grad().clone());
  for (const auto& b : model->buffers()) r.buffers.push_back(b.clone());
  return r;
}

TEST(DataParallel, SyncedBatchNormAndGradientsEqualOneProcessOnTheWholeBatch) {
  torch::manual_seed(3);
  const int64_t rows = 23, snps = 40;
  torch::Tensor x = torch::randn({rows, snps});
  torch::Tensor y = torch::randint(0, 3, {rows}, torch::kInt64);
  StepResult whole = Step(x, y, 0, rows, nullptr);
  for (int world : {2, 3}) {
    ThreadGroup group(world);
    std::vector<StepResult> ranks(world);
    std::vector<std::thread> threads;
    for (int r = 0; r < world; ++r)
      threads.emplace_back([&, r] {
        ThreadCommunicator comm(group, r);
        ranks[r] = Step(x, y, rows * r / world, rows * (r + 1) / world, &comm);
      });
    for (auto& t : threads) t.join();
    torch::Tensor logits;
    std::vector<torch::Tensor> parts;
    for (const auto& r : ranks) parts.push_back(r.logits);
    logits = torch::cat(parts);
    EXPECT_TRUE(torch::allclose(logits, whole.logits, 1e-5, 1e-5)) << "world " << world;
    for (const auto& r : ranks) {
      ASSERT_EQ(r.grads.size(), whole.grads.size());
      for (size_t i = 0; i < r.grads.size(); ++i)
        EXPECT_TRUE(torch::allclose(r.grads[i], whole.grads[i], 1e-5, 1e-5))
            << "world " << world << " parameter " << i << " max diff "
            << (r.grads[i] - whole.grads[i]).abs().max().item<float>();
      for (size_t i = 0; i < r.buffers.size(); ++i)
        EXPECT_TRUE(torch::allclose(r.buffers[i].to(torch::kFloat64),
                                    whole.buffers[i].to(torch::kFloat64), 1e-5, 1e-5))
            << "world " << world << " buffer " << i;
    }
  }
}

// ---- SNP-parallel: each rank holds a range of SNPs ----

struct SnpStepResult {
  torch::Tensor logits;              // every row (replicated)
  torch::Tensor reconstruction;      // every row, this rank's SNPs
  std::vector<torch::Tensor> grads;  // after the allreduce
};

// One training step of a dietnet with a decoder and the linear path (dropout 0) on SNPs [lo, hi)
// of x, as rank `comm` (or alone on all SNPs). `grouped`: cross-fitting's per-row first layers,
// even rows from one set of SNP features and odd rows from another.
SnpStepResult SnpStep(const torch::Tensor& x, const torch::Tensor& y, int64_t lo, int64_t hi,
                      Communicator* comm, bool grouped) {
  const int64_t total = x.size(1), classes = 3;
  NetConfig net;
  net.n_snps = hi - lo;
  net.n_classes = classes;
  net.hidden = 8;
  net.aux_hidden = 6;
  net.dropout1 = net.dropout2 = 0;
  net.decoder = true;
  net.linear_path = true;
  net.embedding_cols = 4 * classes;
  auto rows = [&](const torch::Tensor& t) { return t.narrow(0, lo, hi - lo).clone(); };
  GenotypeNet model{nullptr};
  SnpFeatures features[2];
  {
    // Threads share LibTorch's global generator: draw the whole features, then the model, one
    // rank at a time, so that every rank (and the single process) gets the same numbers.
    static std::mutex init;
    std::lock_guard<std::mutex> lock(init);
    torch::manual_seed(11);
    for (auto& f : features) {
      torch::Tensor freq = torch::rand({total, classes}) * 0.8 + 0.1;
      f.embedding = rows(torch::rand({total, net.embedding_cols}));
      f.log_p = rows(torch::log(freq));
      f.log_q = rows(torch::log1p(-freq));
    }
    torch::Tensor mean = torch::rand({total}), std = torch::rand({total}) + 0.5;
    model = GenotypeNet(net, features[0], rows(mean), rows(std));
    torch::NoGradGuard no_grad;
    // The linear path starts the output layer at zero: give it weights, so gradients reach the
    // tail and the aux nets; and a class bias, which must be added once, not once per rank.
    for (auto& p : model->named_parameters()) {
      if (p.key() == "out.weight") p.value().normal_(0, 0.3);
      if (p.key() == "lin_b") p.value().normal_(0, 0.3);
    }
    model->SetTemperature(0.05);
  }
  model->train();
  const int world = comm != nullptr ? comm->world_size() : 1;
  if (comm != nullptr)
    model->set_snp_reduce(
        [comm](const torch::Tensor& partial) { return AllreduceSumAutograd(*comm, partial); });
  torch::Tensor xs = x.narrow(1, lo, hi - lo);
  GenotypeNetImpl::Output out;
  if (grouped) {
    std::vector<torch::Tensor> groups = {torch::arange(0, x.size(0), 2),
                                         torch::arange(1, x.size(0), 2)};
    out = model->ForwardGrouped(xs, groups,
                                {model->Weights(&features[0]), model->Weights(&features[1])});
  } else {
    out = model->forward(xs);
  }
  // As the trainer: each rank's share of cross-entropy + 0.5 * mean squared error over all SNPs.
  torch::Tensor ce = torch::nn::functional::cross_entropy(out.logits, y);
  torch::Tensor loss = ce / static_cast<double>(world) +
                       0.5 * (out.reconstruction - xs).pow(2).sum() /
                           static_cast<double>(x.size(0) * total);
  loss.backward();
  if (comm != nullptr) AllreduceGradientSums(*comm, model->parameters());
  SnpStepResult r;
  r.logits = out.logits.detach().clone();
  r.reconstruction = out.reconstruction.detach().clone();
  for (const auto& p : model->parameters())
    r.grads.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
  return r;
}

TEST(SnpParallel, ForwardAndEveryGradientEqualOneProcessOnAllSnps) {
  torch::manual_seed(5);
  const int64_t rows = 21, snps = 50;
  torch::Tensor x = torch::randn({rows, snps});
  torch::Tensor y = torch::randint(0, 3, {rows}, torch::kInt64);
  for (bool grouped : {false, true}) {
    SnpStepResult whole = SnpStep(x, y, 0, snps, nullptr, grouped);
    for (const auto& g : whole.grads)
      ASSERT_GT(g.abs().max().item<float>(), 0) << "every parameter must get a gradient";
    for (int world : {2, 3}) {
      ThreadGroup group(world);
      std::vector<SnpStepResult> ranks(world);
      std::vector<SnpRange> ranges(world);
      std::vector<std::thread> threads;
      for (int r = 0; r < world; ++r) {
        ranges[r] = SnpRangeOfRank(snps, r, world);
        threads.emplace_back([&, r] {
          ThreadCommunicator comm(group, r);
          ranks[r] = SnpStep(x, y, ranges[r].begin, ranges[r].end, &comm, grouped);
        });
      }
      for (auto& t : threads) t.join();
      std::vector<torch::Tensor> recs;
      for (int r = 0; r < world; ++r) {
        const std::string where = "world " + std::to_string(world) + " rank " +
                                  std::to_string(r) + (grouped ? " grouped" : "");
        recs.push_back(ranks[r].reconstruction);
        EXPECT_TRUE(torch::allclose(ranks[r].logits, whole.logits, 1e-5, 1e-5))
            << where << " max diff " << (ranks[r].logits - whole.logits).abs().max();
        ASSERT_EQ(ranks[r].grads.size(), whole.grads.size());
        for (size_t i = 0; i < whole.grads.size(); ++i)
          EXPECT_TRUE(torch::allclose(ranks[r].grads[i], whole.grads[i], 1e-5, 1e-5))
              << where << " parameter " << i << " max diff "
              << (ranks[r].grads[i] - whole.grads[i]).abs().max().item<float>();
      }
      EXPECT_TRUE(torch::allclose(torch::cat(recs, 1), whole.reconstruction, 1e-5, 1e-5))
          << "world " << world;
    }
  }
}

TEST(SnpParallel, RangesStartAtPackedBytesAndPartitionTheSnps) {
  for (int64_t snps : {4, 10, 50, 1001}) {
    for (int world : {1, 2, 3}) {
      int64_t next = 0;
      for (int r = 0; r < world; ++r) {
        SnpRange range = SnpRangeOfRank(snps, r, world);
        EXPECT_EQ(range.begin, next) << snps << " SNPs, rank " << r << " of " << world;
        EXPECT_EQ(range.begin % 4, 0);
        next = range.end;
      }
      EXPECT_EQ(next, snps);
    }
  }
  EXPECT_EQ(SnpRangeOfRank(50, 0, 3).end, 16);  // 13 bytes: 4 + 4 + 5
  EXPECT_EQ(SnpRangeOfRank(50, 1, 3).end, 32);
  EXPECT_EQ(SnpRangeOfRank(4, 1, 2).end - SnpRangeOfRank(4, 1, 2).begin, 4);
  EXPECT_EQ(SnpRangeOfRank(4, 0, 2).end, 0) << "fewer bytes than ranks: an empty range";
}

TEST(SnpParallel, GatheredRowsAndColumnNormsCoverEveryRank) {
  torch::manual_seed(2);
  torch::Tensor e = torch::rand({10, 3});
  ThreadGroup group(2);
  std::vector<torch::Tensor> gathered(2), normalized(2);
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r)
    threads.emplace_back([&, r] {
      ThreadCommunicator comm(group, r);
      SnpRange range = SnpRangeOfRank(10, r, 2);
      torch::Tensor local = e.narrow(0, range.begin, range.end - range.begin);
      gathered[r] = GatherSnpRows(comm, local, range.begin, 10);
      normalized[r] = NormalizeColumnsAcrossRanks(comm, local);
    });
  for (auto& t : threads) t.join();
  for (int r = 0; r < 2; ++r) EXPECT_TRUE(torch::equal(gathered[r], e)) << "rank " << r;
  EXPECT_TRUE(torch::allclose(torch::cat(normalized), NormalizeColumns(e), 1e-6, 1e-6));
}

// ---- Real ranks over c10d/Gloo ----

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("no free port on 127.0.0.1");
  close(fd);
  return ntohs(addr.sin_port);
}

struct RankRun {
  int exit_code = -1;
  std::string err;
};

// Start `world` ranks of `snpflow <args(r)>` with the torchrun variables; each is killed after
// 120 s (exit 124), so a hang fails the test instead of blocking it.
std::vector<RankRun> LaunchRanks(const testing::TempDir& dir, int world,
                                 const std::function<std::string(int)>& args,
                                 const std::map<int, std::string>& extra_env = {}) {
  const int port = FreePort();
  std::string script;
  for (int r = 0; r < world; ++r) {
    std::string tag = dir / ("rank" + std::to_string(r));
    auto env = extra_env.find(r);
    script += "( MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(port) +
              " WORLD_SIZE=" + std::to_string(world) + " RANK=" + std::to_string(r) + " " +
              (env == extra_env.end() ? "" : env->second) + " timeout 120 " +
              testing::SnpflowCli() + " " + args(r) + " >" + tag + ".out 2>" + tag +
              ".err; echo $? >" + tag + ".rc ) &\n";
  }
  script += "wait\n";
  testing::RunShell(script);
  std::vector<RankRun> runs(world);
  for (int r = 0; r < world; ++r) {
    std::string tag = dir / ("rank" + std::to_string(r));
    runs[r].exit_code = std::stoi(testing::ReadFile(tag + ".rc"));
    runs[r].err = testing::ReadFile(tag + ".err");
  }
  return runs;
}

// A simulated 5-class data set, ingested once for every test below.
class DistributedCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    auto sim = testing::RunSnpflow("simulate --samples 300 --snps 1500 --seed 5 -O b -q -o " +
                                   (*dir_ / "X.bcf"));
    ASSERT_EQ(sim.exit_code, 0) << sim.err;
    auto ingest = testing::RunSnpflow("ingest " + (*dir_ / "X.bcf") + " --labels " +
                                      (*dir_ / "X.panel") +
                                      " --label-column super_pop -q -o " + (*dir_ / "D"));
    ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string Data() { return *dir_ / "D"; }
  static testing::TempDir* dir_;
};
testing::TempDir* DistributedCli::dir_ = nullptr;

double SummaryAccuracy(const std::string& run_dir) {
  std::string summary = testing::ReadFile(run_dir + "/summary.json");
  size_t at = summary.find("\"mean_test_accuracy\": ");
  if (at == std::string::npos) throw std::runtime_error("no accuracy in " + run_dir);
  return std::stod(summary.substr(at + 22));
}

// predictions.tsv rows: sample, fold, true, predicted, probabilities.
std::vector<std::vector<std::string>> ReadPredictions(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(testing::ReadFile(path));
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> f;
    std::istringstream fields(line);
    for (std::string x; std::getline(fields, x, '\t');) f.push_back(x);
    rows.push_back(f);
  }
  return rows;
}

TEST_F(DistributedCli, TwoAndThreeRanksReachOneProcessAccuracyAndOnlyRankZeroWrites) {
  testing::TempDir dir;
  const std::string common = "train --data " + Data() +
                             " --train-folds 0 --train.epochs 5 --threads 1 -q"
                             " --batcher.batch-size 40 --train.lr 0.003";
  auto one = testing::RunSnpflow(common + " -o " + (dir / "W1"));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const double accuracy1 = SummaryAccuracy(dir / "W1");
  EXPECT_GT(accuracy1, 0.6) << "chance is 0.2";
  for (int world : {2, 3}) {
    const std::string tag = "W" + std::to_string(world);
    auto runs = LaunchRanks(dir, world, [&](int r) {
      return common + " -o " + (dir / (tag + "_rank" + std::to_string(r)));
    });
    for (int r = 0; r < world; ++r) ASSERT_EQ(runs[r].exit_code, 0) << runs[r].err;
    const double accuracy = SummaryAccuracy(dir / (tag + "_rank0"));
    EXPECT_NEAR(accuracy, accuracy1, 0.1) << world << " ranks";
    EXPECT_EQ(ReadPredictions(dir / (tag + "_rank0/predictions.tsv")).size(),
              ReadPredictions(dir / "W1/predictions.tsv").size());
    EXPECT_TRUE(fs::exists(dir / (tag + "_rank0/fold_0/model.pt")));
    for (int r = 1; r < world; ++r)
      EXPECT_FALSE(fs::exists(dir / (tag + "_rank" + std::to_string(r))))
          << "rank " << r << " wrote outputs";
    std::printf("[ info ] %d ranks: test accuracy %.3f (1 process: %.3f)\n", world, accuracy,
                accuracy1);
  }
}

// Dropout 0 and one whole-split batch per step, split exactly (180 training samples): with
// batch norm synced across ranks, the ranks compute the single process's model up to float
// summation order, so the predictions agree.
TEST_F(DistributedCli, DeterministicSettingsGiveTheSinglyTrainedPredictions) {
  testing::TempDir dir;
  const std::string common = "train --data " + Data() +
                             " --train-folds 0 --train.epochs 2 --threads 1 -q"
                             " --train.dropout1 0 --train.dropout2 0 --batcher.batch-size 1000";
  auto one = testing::RunSnpflow(common + " -o " + (dir / "W1"));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  auto expected = ReadPredictions(dir / "W1/predictions.tsv");
  ASSERT_EQ(expected.size(), 61u);
  for (int world : {2, 3}) {
    const std::string out = dir / ("W" + std::to_string(world));
    auto runs = LaunchRanks(dir, world, [&](int) { return common + " -o " + out; });
    for (int r = 0; r < world; ++r) ASSERT_EQ(runs[r].exit_code, 0) << runs[r].err;
    auto got = ReadPredictions(out + "/predictions.tsv");
    ASSERT_EQ(got.size(), expected.size());
    for (size_t i = 1; i < got.size(); ++i) {
      EXPECT_EQ(got[i][0], expected[i][0]);
      EXPECT_EQ(got[i][3], expected[i][3]) << "sample " << got[i][0] << ", " << world << " ranks";
      for (size_t k = 4; k < got[i].size(); ++k)
        EXPECT_NEAR(std::stod(got[i][k]), std::stod(expected[i][k]), 1e-3) << got[i][0];
    }
  }
}

// --dist.parallel snp on 26 weakly separated populations (so that training moves the
// predictions away from 0/1): each rank holds a range of SNPs and sees every sample, seeded as
// the single process, so it draws the same dropout masks and computes the single process's model
// up to float summation order. The dietnet defaults (cross-fitted linear path, calibrated
// temperature, dropout), then the decoder with normalized embedding columns. Rank 0 saves the
// whole model, which `snpflow predict` reads.
TEST_F(DistributedCli, SnpParallelRanksGiveTheSinglyTrainedPredictions) {
  testing::TempDir dir;
  auto sim = testing::RunSnpflow("simulate --samples 300 --snps 1500 --seed 5 --fst-pop 0.004 "
                                 "-O b -q -o " + (dir / "H.bcf"));
  ASSERT_EQ(sim.exit_code, 0) << sim.err;
  auto ingest = testing::RunSnpflow("ingest " + (dir / "H.bcf") + " --labels " +
                                    (dir / "H.panel") + " --label-column pop -q -o " +
                                    (dir / "D"));
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  const std::string common = "train --data " + (dir / "D") +
                             " --train-folds 0 --train.epochs 3 --threads 1 -q"
                             " --batcher.batch-size 40";
  struct Case {
    std::string name, options;
    std::vector<int> worlds;
  };
  const std::vector<Case> cases = {
      {"defaults", "", {2, 3}},
      {"decoder", " --train.gamma 1 --train.normalize-embedding true", {2}}};
  for (const Case& c : cases) {
    const std::string single = dir / (c.name + "1");
    auto one = testing::RunSnpflow(common + c.options + " -o " + single);
    ASSERT_EQ(one.exit_code, 0) << one.err;
    auto expected = ReadPredictions(single + "/predictions.tsv");
    ASSERT_EQ(expected.size(), 61u);
    double spread = 0;  // how far from 0/1 the single process's probabilities are
    for (size_t i = 1; i < expected.size(); ++i)
      for (size_t k = 4; k < expected[i].size(); ++k)
        spread = std::max(spread, std::min(std::stod(expected[i][k]),
                                           1 - std::stod(expected[i][k])));
    EXPECT_GT(spread, 0.1) << "saturated probabilities would hide differences";
    for (int world : c.worlds) {
      const std::string out = dir / (c.name + std::to_string(world));
      auto runs = LaunchRanks(dir, world, [&](int r) {
        return common + c.options + " --dist.parallel snp -o " +
               (r == 0 ? out : out + "_rank" + std::to_string(r));
      });
      for (int r = 0; r < world; ++r) ASSERT_EQ(runs[r].exit_code, 0) << runs[r].err;
      for (int r = 1; r < world; ++r)
        EXPECT_FALSE(fs::exists(out + "_rank" + std::to_string(r))) << "rank " << r << " wrote";
      EXPECT_EQ(SummaryAccuracy(out), SummaryAccuracy(single)) << c.name << ", " << world;
      auto got = ReadPredictions(out + "/predictions.tsv");
      ASSERT_EQ(got.size(), expected.size());
      EXPECT_EQ(got[0], expected[0]);
      for (size_t i = 1; i < got.size(); ++i) {
        EXPECT_EQ(got[i][0], expected[i][0]);
        EXPECT_EQ(got[i][3], expected[i][3]) << "sample " << got[i][0] << ", " << c.name << ", "
                                             << world << " ranks";
        for (size_t k = 4; k < got[i].size(); ++k)
          EXPECT_NEAR(std::stod(got[i][k]), std::stod(expected[i][k]), 1e-4)
              << got[i][0] << ", " << c.name << ", " << world << " ranks";
      }
      // The saved model is the whole model: model.txt as the single process's, and predict
      // gives the single process's model's labels (checked once).
      EXPECT_EQ(testing::ReadFile(out + "/fold_0/model.txt"),
                testing::ReadFile(single + "/fold_0/model.txt"));
      if (c.name != "defaults" || world != 2) continue;
      for (const std::string& run : {single, out}) {
        auto predict = testing::RunSnpflow("predict --model " + run + " --vcf " +
                                           (dir / "H.bcf") + " -o " + (run + "/new.tsv"));
        ASSERT_EQ(predict.exit_code, 0) << predict.err;
      }
      auto new_rows = ReadPredictions(out + "/new.tsv");
      auto ref_rows = ReadPredictions(single + "/new.tsv");
      ASSERT_EQ(new_rows.size(), 301u);
      ASSERT_EQ(ref_rows.size(), 301u);
      for (size_t i = 0; i < new_rows.size(); ++i) {
        ASSERT_GE(new_rows[i].size(), 2u);
        EXPECT_EQ(new_rows[i][0], ref_rows[i][0]);
        EXPECT_EQ(new_rows[i][1], ref_rows[i][1]) << "row " << i;
      }
    }
  }
}

// Each SNP-parallel rank reads only its SNPs of the ingest (LoadDatasetRange); rank 0, which
// writes, copies the ingest's variants.tsv (all SNPs) and reports every SNP in summary.json.
TEST_F(DistributedCli, SnpParallelRankLoadsOnlyItsSnps) {
  testing::TempDir dir;
  const std::string out = dir / "S";
  auto runs = LaunchRanks(dir, 2, [&](int r) {
    return "train --data " + Data() + " --train-folds 0 --train.epochs 1 --threads 1"
           " --dist.parallel snp -o " + (r == 0 ? out : out + "_rank1");
  });
  for (int r = 0; r < 2; ++r) ASSERT_EQ(runs[r].exit_code, 0) << runs[r].err;
  const SnpRange range = SnpRangeOfRank(1500, 0, 2);
  ASSERT_EQ(range.end, 748);
  // 300 samples x 748 SNPs: tile 0 of the range holds 748 / 4 = 187 bytes a row.
  const std::string out0 = testing::ReadFile(dir / "rank0.out");
  EXPECT_NE(out0.find("distributed: this rank loaded SNPs 0..748 of 1500 (56100 bytes of packed "
                      "genotypes)"),
            std::string::npos)
      << out0;
  EXPECT_NE(out0.find(", 1500 SNPs, "), std::string::npos) << out0;
  EXPECT_EQ(testing::ReadFile(out + "/variants.tsv"), testing::ReadFile(Data() + "/variants.tsv"));
  EXPECT_NE(testing::ReadFile(out + "/summary.json").find("\"n_snps\": 1500"), std::string::npos);
}

TEST_F(DistributedCli, SnpParallelRefusesWhatItCannotSplit) {
  testing::TempDir dir;
  auto mlp = LaunchRanks(dir, 2, [&](int) {
    return "train --data " + Data() + " -o " + (dir / "M") +
           " --train-folds 0 --train.epochs 1 --threads 1 -q --model mlp --dist.parallel snp";
  });
  for (int r = 0; r < 2; ++r) {
    EXPECT_EQ(mlp[r].exit_code, 2) << mlp[r].err;
    EXPECT_NE(mlp[r].err.find("--dist.parallel snp: trainer 'mlp' cannot split its first layer "
                              "over SNPs; use --model dietnet, or --dist.parallel data"),
              std::string::npos)
        << mlp[r].err;
  }
  auto snp2vec = LaunchRanks(dir, 2, [&](int) {
    return "train --data " + Data() + " -o " + (dir / "V") +
           " --train-folds 0 --train.epochs 1 --threads 1 -q --train.embedding snp2vec"
           " --dist.parallel snp";
  });
  for (int r = 0; r < 2; ++r) {
    EXPECT_EQ(snp2vec[r].exit_code, 2) << snp2vec[r].err;
    EXPECT_NE(snp2vec[r].err.find("--train.embedding snp2vec trains one autoencoder over all "
                                  "SNPs"),
              std::string::npos)
        << snp2vec[r].err;
  }
  auto bad = testing::RunSnpflow("train --data " + Data() + " -o " + (dir / "B") +
                                 " --dist.parallel rows");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--dist.parallel must be 'data' or 'snp' (got 'rows')"),
            std::string::npos)
      << bad.err;
}

TEST_F(DistributedCli, AKilledRankMakesTheOthersFailNamingIt) {
  testing::TempDir dir;
  auto runs = LaunchRanks(
      dir, 3,
      [&](int) {
        return "train --data " + Data() + " -o " + (dir / "R") +
               " --train-folds 0 --train.epochs 5 --threads 1 -q --batcher.batch-size 40"
               " --dist.timeout 1";
      },
      {{1, "SNPFLOW_TEST_DIE_AT_COLLECTIVE=9"}});
  EXPECT_EQ(runs[1].exit_code, 128 + 9) << "rank 1 kills itself";
  for (int r : {0, 2}) {
    EXPECT_EQ(runs[r].exit_code, 1) << "rank " << r << " (124: it hung)\n" << runs[r].err;
    EXPECT_NE(runs[r].err.find("snpflow: error: rank " + std::to_string(r) + " of 3: "),
              std::string::npos)
        << runs[r].err;
    EXPECT_NE(runs[r].err.find("rank 1 did not report in: dead, hung or unreachable"),
              std::string::npos)
        << runs[r].err;
  }
  EXPECT_FALSE(fs::exists(dir / "R/summary.json"));
}

TEST_F(DistributedCli, AHungRankMakesTheOthersTimeOut) {
  testing::TempDir dir;
  const int port = FreePort();
  const std::string args = testing::SnpflowCli() + " train --data " + Data() + " -o " +
                           (dir / "R") +
                           " --train-folds 0 --train.epochs 5 --threads 1 -q --dist.timeout 1";
  const std::string env =
      "MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(port) + " WORLD_SIZE=2 ";
  // Rank 1 sleeps in its 5th collective; rank 0 must give up on its own; then rank 1 is killed.
  auto run = testing::RunShell(env + "RANK=1 SNPFLOW_TEST_HANG_AT_COLLECTIVE=5 exec timeout 120 " +
                               args + " 2>/dev/null & hung=$!; " + env + "RANK=0 timeout 120 " +
                               args + "; rc=$?; kill $hung; exit $rc");
  EXPECT_EQ(run.exit_code, 1) << "124: rank 0 hung\n" << run.err;
  EXPECT_NE(run.err.find("rank 0 of 2: allreduce #5"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("(timeout 1 s): rank 1 did not report in"), std::string::npos)
      << run.err;
}

TEST_F(DistributedCli, LaunchMistakesAreClearErrors) {
  testing::TempDir dir;
  auto none = testing::RunShell("env -u WORLD_SIZE -u SLURM_NTASKS " + testing::SnpflowCli() +
                                " train --data " + Data() + " -o " + (dir / "R") + " --dist");
  EXPECT_EQ(none.exit_code, 2) << "a launch mistake is a usage error";
  EXPECT_NE(none.err.find("--dist: no launch environment"), std::string::npos) << none.err;
  auto vcf = testing::RunShell("MASTER_ADDR=127.0.0.1 WORLD_SIZE=2 RANK=0 " +
                               testing::SnpflowCli() + " train X.bcf --labels X.panel -o " +
                               (dir / "R"));
  EXPECT_EQ(vcf.exit_code, 2);
  EXPECT_NE(vcf.err.find("a distributed run reads an existing ingest"), std::string::npos)
      << vcf.err;
  // Rank 1 alone: nobody serves the store, so the rendezvous times out.
  auto alone = testing::RunShell("MASTER_ADDR=127.0.0.1 MASTER_PORT=" +
                                 std::to_string(FreePort()) + " WORLD_SIZE=2 RANK=1 " +
                                 testing::SnpflowCli() + " train --data " + Data() + " -o " +
                                 (dir / "R") + " --dist.rendezvous-timeout 1");
  EXPECT_EQ(alone.exit_code, 1);
  EXPECT_NE(alone.err.find("rank 1 of 2: rendezvous at 127.0.0.1:"), std::string::npos)
      << alone.err;
  EXPECT_NE(alone.err.find("failed within 1 s"), std::string::npos) << alone.err;
}

}  // namespace
}  // namespace snpflow
