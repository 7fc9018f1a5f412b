// The LibTorch trainer stages (dietnet, mlp, mlp-improved): Adam over shuffled minibatches, early
// stopping on the validation loss, the best epoch's weights restored for test, the model saved
// atomically. Also SavedModel, which loads a saved model back for `snpflow predict`.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "io/atomic_file.h"
#include "pipeline/error.h"
#include "pipeline/folds.h"
#include "pipeline/trainer.h"
#include "stages/fold_stats.h"
#include "stages/train/compute_threads.h"
#include "stages/train/distributed.h"
#include "stages/train/evaluation.h"
#include "stages/train/models.h"
#include "stages/train/register_train.h"
#include "stages/train/saved_model.h"
#include "stages/train/snp_features.h"
#include "stages/train/torch_errors.h"

namespace snpflow {

namespace {

/// Everything one fold's training needs, resolved from a trainer's options.
struct TrainConfig {
  std::string stage;  // "dietnet", "mlp", "mlp-improved"
  NetConfig net;
  int epochs = 0;
  int patience = 0;
  double lr = 0;
  double weight_decay = 0;
  double gamma = 0;
  int threads = 0;
  int64_t seed = 0;
  bool monitor_accuracy = false;
  std::string monitor = "valid-loss";
  double max_norm = 0;
  // dietnet
  EmbeddingKind embedding = EmbeddingKind::kHistogram;
  double prior = 0;
  bool cross_fit = false;
  bool normalize_embedding = false;
  int embedding_dim = 100;
  int snp2vec_epochs = 50;
};

/// Refuse to hold the training genotype matrix (random, raw, snp2vec) above this many bytes.
constexpr double kMaxGenotypeMatrixBytes = 2.0 * (1ull << 30);

TrainConfig CommonConfig(const TorchTrainOptions& o, std::string_view stage) {
  if (o.monitor != "valid-loss" && o.monitor != "valid-accuracy")
    throw ConfigError("--train.monitor must be valid-loss or valid-accuracy (got '" + o.monitor +
                      "')");
  TrainConfig c;
  c.stage = std::string(stage);
  c.epochs = o.epochs;
  c.patience = o.patience;
  c.lr = o.lr;
  c.weight_decay = o.weight_decay;
  c.threads = o.threads;
  c.seed = o.seed;
  c.net.hidden = o.hidden;
  c.net.dropout1 = o.dropout1;
  c.net.dropout2 = o.dropout2;
  c.monitor = o.monitor;
  c.monitor_accuracy = o.monitor == "valid-accuracy";
  c.max_norm = o.max_norm;
  return c;
}

TrainConfig ToConfig(const DietNetOptions& o) {
  // Option values were range-checked by OptionSet::Build (register_train.h).
  TrainConfig c = CommonConfig(o, DietNetOptions::kName);
  c.net.kind = NetConfig::Kind::kDietNet;
  c.net.aux_hidden = o.aux_hidden;
  c.net.decoder = o.gamma > 0;
  c.gamma = o.gamma;
  c.embedding = ParseEmbeddingKind(o.embedding, "--train.embedding");
  if (o.prior < 0) throw ConfigError("--train.prior must not be negative");
  if (o.embedding_dim < 1) throw ConfigError("--train.embedding-dim must be at least 1");
  if (o.snp2vec_epochs < 1) throw ConfigError("--train.snp2vec-epochs must be at least 1");
  if (o.aux_activation != "relu" && o.aux_activation != "tanh")
    throw ConfigError("--train.aux-activation must be relu or tanh (got '" + o.aux_activation +
                      "')");
  c.prior = o.prior;
  c.cross_fit = o.cross_fit;
  c.normalize_embedding = o.normalize_embedding;
  c.embedding_dim = o.embedding_dim;
  c.snp2vec_epochs = o.snp2vec_epochs;
  c.net.aux_tanh = o.aux_activation == "tanh";
  c.net.linear_path = o.linear_path;
  return c;
}

template <class O>
TrainConfig ToMlpConfig(const O& o) {
  TrainConfig c = CommonConfig(o, O::kName);
  c.net.kind = NetConfig::Kind::kMlp;
  return c;
}
TrainConfig ToConfig(const MlpOptions& o) { return ToMlpConfig(o); }
TrainConfig ToConfig(const MlpImprovedOptions& o) { return ToMlpConfig(o); }

struct EvalResult {
  double loss = 0;
  double accuracy = 0;
};

/// Evaluate `model` on every batch of `source` (fixed order), in eval mode. With `comm`, `source`
/// holds this rank's slice and the sums are allreduced, so every rank gets the same result.
EvalResult Evaluate(GenotypeNet& model, BatchSource& source, std::vector<Prediction>* predictions,
                    Communicator* comm = nullptr) {
  model->eval();
  torch::NoGradGuard no_grad;
  GenotypeNetImpl::FirstLayer w = model->Weights();  // once per pass, not per batch
  EvalSums s = EvaluateBatches(
      source, [&](const torch::Tensor& x) { return model->forward(x, &w).logits; }, predictions);
  if (comm != nullptr) {  // distributed hook
    double sums[3] = {s.loss_sum, static_cast<double>(s.correct), static_cast<double>(s.n)};
    comm->AllreduceSum(sums, 3);
    s = {sums[0], static_cast<int64_t>(sums[1]), static_cast<int64_t>(sums[2])};
  }
  EvalResult r;
  if (s.n > 0) {
    r.loss = s.loss_sum / static_cast<double>(s.n);
    r.accuracy = static_cast<double>(s.correct) / static_cast<double>(s.n);
  }
  return r;
}

std::vector<torch::Tensor> Snapshot(GenotypeNet& model) {
  std::vector<torch::Tensor> state;
  for (const auto& p : model->parameters()) state.push_back(p.detach().clone());
  for (const auto& b : model->buffers()) state.push_back(b.detach().clone());
  return state;
}

void Restore(GenotypeNet& model, const std::vector<torch::Tensor>& state) {
  torch::NoGradGuard no_grad;
  size_t i = 0;
  for (auto& p : model->parameters()) p.copy_(state[i++]);
  for (auto& b : model->buffers()) b.copy_(state[i++]);
}

std::string ModelInfo(const TrainConfig& cfg, const NetConfig& net, int fold, int best_epoch) {
  std::ostringstream s;
  s << "# snpflow model: written by the '" << cfg.stage << "' trainer\n"
    << "stage = " << cfg.stage << "\n"
    << "kind = " << NetKindName(net.kind) << "\n"
    << "fold = " << fold << "\n"
    << "best_epoch = " << best_epoch << "\n"
    << "n_snps = " << net.n_snps << "\n"
    << "n_classes = " << net.n_classes << "\n"
    << "hidden = " << net.hidden << "\n"
    << "aux_hidden = " << net.aux_hidden << "\n"
    << "dropout1 = " << FormatDoubleOption(net.dropout1) << "\n"
    << "dropout2 = " << FormatDoubleOption(net.dropout2) << "\n"
    << "decoder = " << (net.decoder ? 1 : 0) << "\n"
    << "embedding = " << EmbeddingKindName(cfg.embedding) << "\n"
    << "embedding_cols = " << net.embedding_cols << "\n"
    << "aux_tanh = " << (net.aux_tanh ? 1 : 0) << "\n"
    << "linear_path = " << (net.linear_path ? 1 : 0) << "\n";
  return s.str();
}

/// Save the weights (+ embedding buffer), the fold's mean/std, model.txt and classes.txt into
/// `dir`, each atomically. Return the path of model.pt.
std::string SaveModel(GenotypeNet& model, const TrainConfig& cfg, const FoldInputs& fold,
                      int best_epoch) {
  const std::string& dir = fold.output_dir;
  io::MakeDirs(dir);
  const int64_t s = fold.n_snps;
  torch::serialize::OutputArchive archive;
  model->save(archive);
  archive.write("snpflow_mean",
                torch::from_blob(const_cast<float*>(fold.means), {s}, torch::kFloat32).clone());
  archive.write("snpflow_std",
                torch::from_blob(const_cast<float*>(fold.stds), {s}, torch::kFloat32).clone());
  std::string path = dir + "/" + kModelFile;
  io::AtomicFile file(path);
  archive.save_to([&file](const void* data, size_t size) {
    file.Write(data, size);
    return size;
  });
  file.Commit();
  io::WriteFileAtomic(dir + "/" + kModelInfoFile,
                      ModelInfo(cfg, model->config(), fold.fold, best_epoch));
  std::string classes;
  for (const auto& c : fold.ctx->samples.class_names) classes += c + "\n";
  io::WriteFileAtomic(dir + "/" + kModelClassesFile, classes);
  return path;
}

/// SNP-parallel: gather every rank's SNP rows of the model's buffers (embedding, linear-path
/// frequencies) and of the fold's mean/std (collectives: every rank calls this), then rank 0
/// saves the whole model as SaveModel does, so `snpflow predict` reads it like any other. Returns
/// model.pt's path on rank 0, "" on the others.
std::string SaveSnpParallelModel(GenotypeNet& model, const TrainConfig& cfg,
                                 const FoldInputs& fold, int best_epoch) {
  Communicator& comm = *fold.comm;
  const int64_t s = fold.n_snps;
  auto gather = [&](const torch::Tensor& local) {
    return GatherSnpRows(comm, local, fold.snp_begin, fold.snp_total);
  };
  torch::Tensor mean =
      gather(torch::from_blob(const_cast<float*>(fold.means), {s}, torch::kFloat32));
  torch::Tensor std = gather(torch::from_blob(const_cast<float*>(fold.stds), {s}, torch::kFloat32));
  auto buffers = model->named_buffers();
  const std::vector<std::string> snp_rows = {"embedding", "log_p", "log_q", "mean", "std"};
  SnpFeatures features;
  features.embedding = gather(*buffers.find("embedding"));
  if (model->config().linear_path) {
    features.log_p = gather(*buffers.find("log_p"));
    features.log_q = gather(*buffers.find("log_q"));
  }
  if (fold.output_dir.empty()) return "";
  NetConfig net = model->config();
  net.n_snps = fold.snp_total;
  GenotypeNet whole(net, features, mean, std);
  {
    torch::NoGradGuard no_grad;
    auto params = model->named_parameters();
    for (auto& p : whole->named_parameters()) p.value().copy_(*params.find(p.key()));
    for (auto& b : whole->named_buffers())  // batch norm's running statistics
      if (std::find(snp_rows.begin(), snp_rows.end(), b.key()) == snp_rows.end())
        b.value().copy_(*buffers.find(b.key()));
  }
  FoldInputs whole_fold = fold;
  whole_fold.n_snps = fold.snp_total;
  whole_fold.means = mean.data_ptr<float>();
  whole_fold.stds = std.data_ptr<float>();
  return SaveModel(whole, cfg, whole_fold, best_epoch);
}

/// Return the fold's training genotypes, N_train x S floats (normalized), rows in sample order.
/// Memory: 4 bytes x N_train x S (e.g. 780 x 8,000: 25 MB; 2,070 x 315K: 2.6 GB, refused).
torch::Tensor ReadTrainingGenotypes(const TrainConfig& cfg, const FoldInputs& fold) {
  const int64_t n = fold.train->num_samples(), s = fold.n_snps;
  const double bytes = 4.0 * static_cast<double>(n) * static_cast<double>(s);
  if (bytes > kMaxGenotypeMatrixBytes) {
    char gib[32];
    std::snprintf(gib, sizeof gib, "%.1f", bytes / (1ull << 30));
    throw ConfigError("--train.embedding " + EmbeddingKindName(cfg.embedding) +
                      " holds the training genotypes in memory: " + std::to_string(n) +
                      " samples x " + std::to_string(s) + " SNPs x 4 bytes = " + gib +
                      " GiB, above the 2 GiB bound; use --train.embedding histogram or log-freq, "
                      "or fewer SNPs");
  }
  torch::Tensor g = torch::empty({n, s}, torch::kFloat32);
  std::vector<int64_t> ids;
  fold.train->Start(0);
  Batch b;
  int64_t row = 0;
  while (fold.train->Next(&b)) {
    if (row + b.rows > n) throw Error("fold " + std::to_string(fold.fold) + ": the training "
                                      "source yields more rows than num_samples()");
    std::memcpy(g.data_ptr<float>() + row * s, b.x, sizeof(float) * b.rows * s);
    ids.insert(ids.end(), b.samples, b.samples + b.rows);
    row += b.rows;
  }
  torch::Tensor order = torch::tensor(ids, torch::kInt64).argsort();
  return g.narrow(0, 0, row).index_select(0, order);
}

/// The SnpFeatures of fold `fold` from all its training partitions, or (leave_out != nullptr)
/// from all but training partition slot *leave_out (cross-fitting). `genotype_embedding` caches
/// the random/raw/snp2vec embedding, built on first use.
/// SNP-parallel (`snp_comm`): the fold holds this rank's SNPs, and the embedding's columns are
/// normalized over every rank's SNPs.
SnpFeatures BuildFeatures(const TrainConfig& cfg, const FoldInputs& fold, const torch::Tensor& std,
                          const int* leave_out, torch::Tensor* genotype_embedding,
                          Communicator* snp_comm = nullptr) {
  const NetConfig& net = cfg.net;
  const bool have_counts = fold.train_counts != nullptr && fold.n_train_partitions > 0;
  const bool need_counts = leave_out != nullptr || cfg.prior > 0 || net.linear_path ||
                           cfg.embedding == EmbeddingKind::kLogFreq;
  if (need_counts && !have_counts)
    throw Error("trainer '" + cfg.stage + "': fold " + std::to_string(fold.fold) +
                " has no per-partition counts (FoldInputs::train_counts), which --train.prior, "
                "--train.cross-fit, --train.linear-path and --train.embedding log-freq need");
  torch::Tensor counts;
  if (have_counts) {
    std::vector<int> parts;
    for (int k = 0; k < fold.n_train_partitions; ++k)
      if (leave_out == nullptr || k != *leave_out) parts.push_back(k);
    counts = SumPartitionCounts(fold.train_counts, fold.n_snps, fold.n_classes, parts);
  }
  SnpFeatures f;
  switch (cfg.embedding) {
    case EmbeddingKind::kHistogram:
      if (have_counts) {
        f.embedding = HistogramEmbedding(counts, cfg.prior);
      } else if (fold.embedding != nullptr) {
        f.embedding = torch::from_blob(const_cast<float*>(fold.embedding),
                                       {fold.n_snps, 4 * fold.n_classes}, torch::kFloat32)
                          .clone();
      } else {
        throw Error("trainer 'dietnet': fold " + std::to_string(fold.fold) + " has no embedding");
      }
      break;
    case EmbeddingKind::kLogFreq:
      f.embedding = LogFreqEmbedding(AlleleFrequencies(counts, cfg.prior), std);
      break;
    default:
      if (!genotype_embedding->defined())
        *genotype_embedding = GenotypeEmbedding(cfg.embedding, ReadTrainingGenotypes(cfg, fold),
                                                cfg.embedding_dim, cfg.snp2vec_epochs);
      f.embedding = *genotype_embedding;
  }
  if (cfg.normalize_embedding)
    f.embedding = snp_comm != nullptr ? NormalizeColumnsAcrossRanks(*snp_comm, f.embedding)
                                      : NormalizeColumns(f.embedding);
  if (net.linear_path) {
    torch::Tensor freq = AlleleFrequencies(counts, cfg.prior);
    f.log_p = torch::log(freq).to(torch::kFloat32);
    f.log_q = torch::log1p(-freq).to(torch::kFloat32);
  }
  return f;
}

/// The linear path's temperature: the t minimizing the cross-entropy of t * (naive Bayes scores)
/// over the training samples, each scored with `weights[slot[partition]]` (cross-fitted: from the
/// other training partitions), or with weights[0] when `slot` is empty. Training data only.
/// SNP-parallel (`snp_comm`): the scores are sums over SNPs, so each rank's partial scores are
/// allreduced before the search (every rank reads the batches in the same order).
double CalibrateTemperature(const FoldInputs& fold,
                            const std::vector<GenotypeNetImpl::FirstLayer>& weights,
                            const std::vector<int>& slot, Communicator* snp_comm = nullptr) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> scores, labels;
  fold.train->Start(0);
  Batch b;
  while (fold.train->Next(&b)) {
    torch::Tensor x = torch::from_blob(const_cast<float*>(b.x), {b.rows, b.cols}, torch::kFloat32);
    torch::Tensor sc = torch::empty({b.rows, fold.n_classes});
    for (int64_t i = 0; i < b.rows; ++i) {
      size_t k = 0;
      if (!slot.empty())
        k = static_cast<size_t>(slot[static_cast<size_t>(
            fold.ctx->samples.partition[static_cast<size_t>(b.samples[i])])]);
      sc[i] = torch::matmul(x[i], weights[k].lin) + weights[k].lin_const;
    }
    scores.push_back(sc.to(torch::kFloat64));
    labels.push_back(torch::from_blob(const_cast<int64_t*>(b.labels), {b.rows}, torch::kInt64)
                         .clone());
  }
  torch::Tensor s = torch::cat(scores).contiguous(), y = torch::cat(labels);
  if (snp_comm != nullptr)
    snp_comm->AllreduceSum(s.data_ptr<double>(), static_cast<size_t>(s.numel()));
  auto loss = [&](double u) {
    return torch::nn::functional::cross_entropy(s * std::exp(u), y).item<double>();
  };
  // The loss is convex in t, so unimodal in u = log t: golden-section search.
  double lo = -16, hi = 4;
  const double r = (std::sqrt(5.0) - 1) / 2;
  double u1 = hi - r * (hi - lo), u2 = lo + r * (hi - lo), f1 = loss(u1), f2 = loss(u2);
  for (int it = 0; it < 60; ++it) {
    if (f1 < f2) {
      hi = u2, u2 = u1, f2 = f1, u1 = hi - r * (hi - lo), f1 = loss(u1);
    } else {
      lo = u1, u1 = u2, f1 = f2, u2 = lo + r * (hi - lo), f2 = loss(u2);
    }
  }
  return std::exp((lo + hi) / 2);
}

/// Empty if `cfg` can train SNP-parallel (--dist.parallel snp), else why not and what instead.
std::string SnpParallelRefusal(const TrainConfig& cfg) {
  if (cfg.net.kind != NetConfig::Kind::kDietNet)
    return "trainer '" + cfg.stage + "' cannot split its first layer over SNPs; use "
           "--model dietnet, or --dist.parallel data";
  if (cfg.embedding == EmbeddingKind::kSnp2Vec)
    return "--train.embedding snp2vec trains one autoencoder over all SNPs, which no rank "
           "holds; use histogram, log-freq, random or raw, or --dist.parallel data";
  return "";
}

FoldResult TrainFold(const TrainConfig& cfg, const FoldInputs& fold) {
  if (fold.train == nullptr || fold.valid == nullptr || fold.test == nullptr || fold.ctx == nullptr)
    throw Error("trainer '" + cfg.stage + "': fold " + std::to_string(fold.fold) +
                " has no train/valid/test batches");
  if (fold.train->num_samples() < 2 || fold.valid->num_samples() < 1)
    throw InputError("fold " + std::to_string(fold.fold) + " has " +
                     std::to_string(fold.train->num_samples()) + " training and " +
                     std::to_string(fold.valid->num_samples()) +
                     " validation samples; add samples or use fewer folds");
  if (fold.train->num_features() != fold.n_snps)
    throw Error("trainer '" + cfg.stage + "': batches have " +
                std::to_string(fold.train->num_features()) + " features but the fold has " +
                std::to_string(fold.n_snps) + " SNPs");
  NetConfig net = cfg.net;
  net.n_snps = fold.n_snps;
  net.n_classes = fold.n_classes;

  const RunContext& ctx = *fold.ctx;
  // SNP-parallel (--dist.parallel snp): this rank holds SNPs [snp_begin, snp_begin + n_snps) of
  // snp_total and sees every row; the first layer's sums over SNPs are allreduced, everything
  // after them is replicated (docs/distributed.md). Data-parallel: `row_comm` sums over rows.
  const bool snp_parallel = fold.comm != nullptr && fold.snp_total > 0;
  Communicator* snp_comm = snp_parallel ? fold.comm : nullptr;
  Communicator* row_comm = snp_parallel ? nullptr : fold.comm;
  if (snp_parallel) {  // the command asks before the ranks connect; a direct caller is told here
    const std::string why = SnpParallelRefusal(cfg);
    if (!why.empty()) throw ConfigError("--dist.parallel snp: " + why);
  }
  const int threads = cfg.threads > 0 ? cfg.threads : std::max(ctx.threads, 1);
  SetComputeThreads(threads);
  const uint64_t seed = cfg.seed > 0 ? static_cast<uint64_t>(cfg.seed) : ctx.seed;
  torch::manual_seed(MixSeed(seed, 0x70C4, static_cast<uint64_t>(fold.fold)));

  // The SNP features of all training partitions (used at evaluation) and, when cross-fitting,
  // of each training partition's complement (used for that partition's training batches).
  SnpFeatures features;
  std::vector<SnpFeatures> partition_features;
  std::vector<int> partition_slot;  // partition -> index into partition_features, or -1
  torch::Tensor mean, std;
  if (net.kind == NetConfig::Kind::kDietNet) {
    mean = torch::from_blob(const_cast<float*>(fold.means), {net.n_snps}, torch::kFloat32).clone();
    std = torch::from_blob(const_cast<float*>(fold.stds), {net.n_snps}, torch::kFloat32).clone();
    torch::Tensor genotype_embedding;
    features = BuildFeatures(cfg, fold, std, nullptr, &genotype_embedding, snp_comm);
    net.embedding_cols = features.embedding.size(1);
    if (cfg.cross_fit) {
      partition_slot.assign(static_cast<size_t>(ctx.samples.folds), -1);
      for (int k = 0; k < fold.n_train_partitions; ++k) {
        partition_slot[static_cast<size_t>(fold.train_partitions[k])] = k;
        // (random/raw/snp2vec: the same embedding; only the linear path is cross-fitted)
        partition_features.push_back(
            BuildFeatures(cfg, fold, std, &k, &genotype_embedding, snp_comm));
      }
    }
  }
  GenotypeNet model(net, features, mean, std);
  if (net.linear_path) {
    std::vector<GenotypeNetImpl::FirstLayer> weights;
    torch::NoGradGuard no_grad;
    if (partition_features.empty()) {
      weights.push_back(model->Weights());
    } else {
      for (auto& pf : partition_features) weights.push_back(model->Weights(&pf));
    }
    model->SetTemperature(CalibrateTemperature(fold, weights, partition_slot, snp_comm));
  }
  // Distributed hook: every rank starts from rank 0's weights (its temperature included), batch
  // norm is synced, dropout differs per rank.
  // SNP-parallel: every rank computes the same tail on the same rows, so batch norm is local and
  // dropout draws the same masks (same seed on every rank).
  if (snp_parallel) {
    BroadcastModel(*fold.comm, *model);
    model->set_snp_reduce([comm = fold.comm](const torch::Tensor& partial) {
      return AllreduceSumAutograd(*comm, partial);
    });
  } else if (fold.comm != nullptr) {
    BroadcastModel(*fold.comm, *model);
    model->set_train_norm([comm = fold.comm](torch::nn::BatchNorm1dImpl& bn,
                                             const torch::Tensor& h) {
      return SyncBatchNorm(*comm, bn, h);
    });
    torch::manual_seed(MixSeed(seed, 0x70C4 + static_cast<uint64_t>(fold.comm->rank()),
                               static_cast<uint64_t>(fold.fold)));
  }
  torch::optim::Adam optimizer(
      model->parameters(), torch::optim::AdamOptions(cfg.lr).weight_decay(cfg.weight_decay));

  FoldResult result;
  result.n_params = model->NumParameters();
  double best_loss = std::numeric_limits<double>::infinity();
  double best_accuracy = -1;
  std::vector<torch::Tensor> best_state = Snapshot(model);
  int since_best = 0;
  bool early_stopped = false;
  for (int epoch = 0; epoch < cfg.epochs; ++epoch) {
    auto t0 = std::chrono::steady_clock::now();
    double wait0 = fold.train->wait_seconds() + fold.valid->wait_seconds();
    model->train();
    fold.train->Start(epoch);
    Batch b;
    double loss_sum = 0;
    int64_t correct = 0, n = 0;
    while (fold.train->Next(&b)) {
      if (b.rows < 2) continue;  // batch norm needs two samples; drops at most one sample/epoch
      torch::Tensor x =
          torch::from_blob(const_cast<float*>(b.x), {b.rows, b.cols}, torch::kFloat32);
      torch::Tensor y =
          torch::from_blob(const_cast<int64_t*>(b.labels), {b.rows}, torch::kInt64);
      GenotypeNetImpl::Output out;
      if (partition_features.empty()) {
        out = model->forward(x);
      } else {
        // Cross-fitting: rows of partition p use weights from the other training partitions.
        std::vector<std::vector<int64_t>> rows(partition_features.size());
        for (int64_t i = 0; i < b.rows; ++i) {
          int p = ctx.samples.partition[static_cast<size_t>(b.samples[i])];
          int k = p >= 0 && p < static_cast<int>(partition_slot.size()) ? partition_slot[p] : -1;
          if (k < 0)
            throw Error("trainer '" + cfg.stage + "': a training batch of fold " +
                        std::to_string(fold.fold) + " holds sample " +
                        std::to_string(b.samples[i]) + " of partition " + std::to_string(p) +
                        ", which is not a training partition");
          rows[static_cast<size_t>(k)].push_back(i);
        }
        std::vector<torch::Tensor> groups;
        std::vector<GenotypeNetImpl::FirstLayer> weights;
        for (size_t k = 0; k < rows.size(); ++k) {
          if (rows[k].empty()) continue;
          groups.push_back(torch::tensor(rows[k], torch::kInt64));
          weights.push_back(model->Weights(&partition_features[k]));
        }
        out = model->ForwardGrouped(x, groups, weights);
      }
      torch::Tensor ce = torch::nn::functional::cross_entropy(out.logits, y);
      torch::Tensor loss = ce;
      if (snp_parallel) {
        // This rank's share of the whole loss; the shares sum to ce + gamma * mse over all SNPs.
        loss = ce / static_cast<double>(fold.comm->world_size());
        if (out.reconstruction.defined())
          loss = loss + cfg.gamma * (out.reconstruction - x).pow(2).sum() /
                            static_cast<double>(b.rows * fold.snp_total);
      } else if (out.reconstruction.defined()) {
        loss = loss + cfg.gamma * torch::mse_loss(out.reconstruction, x);
      }
      optimizer.zero_grad();
      loss.backward();
      if (snp_parallel)
        AllreduceGradientSums(*fold.comm, model->parameters());
      else if (fold.comm != nullptr)
        AllreduceGradients(*fold.comm, model->parameters(), b.rows);
      optimizer.step();
      if (cfg.max_norm > 0) model->ApplyMaxNorm(cfg.max_norm);
      loss_sum += ce.item<double>() * static_cast<double>(b.rows);
      correct += out.logits.argmax(1).eq(y).sum().item<int64_t>();
      n += b.rows;
    }
    if (row_comm != nullptr) {  // data-parallel hook: whole-epoch training metrics
      double sums[3] = {loss_sum, static_cast<double>(correct), static_cast<double>(n)};
      row_comm->AllreduceSum(sums, 3);
      loss_sum = sums[0], correct = static_cast<int64_t>(sums[1]), n = static_cast<int64_t>(sums[2]);
    }
    EvalResult valid = Evaluate(model, *fold.valid, nullptr, row_comm);
    EpochMetrics m;
    m.epoch = epoch;
    m.train_loss = n > 0 ? loss_sum / static_cast<double>(n) : 0;
    m.train_accuracy = n > 0 ? static_cast<double>(correct) / static_cast<double>(n) : 0;
    m.valid_loss = valid.loss;
    m.valid_accuracy = valid.accuracy;
    m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    m.wait_seconds = fold.train->wait_seconds() + fold.valid->wait_seconds() - wait0;
    result.epochs.push_back(m);
    if (!ctx.quiet) {
      std::fprintf(stderr,
                   "[%s] fold %d epoch %3d  train loss %.4f acc %.3f  valid loss %.4f acc %.3f  "
                   "%.2fs\n",
                   cfg.stage.c_str(), fold.fold, epoch, m.train_loss, m.train_accuracy,
                   m.valid_loss, m.valid_accuracy, m.seconds);
    }
    // valid-accuracy: the paper code's rule, a higher accuracy, or the same with a lower loss.
    const bool better = cfg.monitor_accuracy
                            ? valid.accuracy > best_accuracy ||
                                  (valid.accuracy == best_accuracy && valid.loss < best_loss)
                            : valid.loss < best_loss;
    if (better) {
      best_loss = valid.loss;
      best_accuracy = valid.accuracy;
      result.best_epoch = epoch;
      best_state = Snapshot(model);
      since_best = 0;
    } else if (++since_best >= cfg.patience) {
      early_stopped = true;
      break;
    }
  }
  // Still improving at the cap: the best epoch is within the last `patience` epochs.
  if (!early_stopped && result.best_epoch >= cfg.epochs - cfg.patience) {
    result.warnings.push_back("fold " + std::to_string(fold.fold) + " stopped at the epoch cap (" +
                              std::to_string(cfg.epochs) + ") while the validation " +
                              cfg.monitor.substr(6) +
                              " was still improving; raise --train.epochs");
    std::fprintf(stderr, "snpflow: warning: %s\n", result.warnings.back().c_str());
  }
  Restore(model, best_state);
  EvalResult test = Evaluate(model, *fold.test, &result.predictions);
  result.test_loss = test.loss;
  result.test_accuracy = test.accuracy;
  if (snp_parallel) {
    result.model_path = SaveSnpParallelModel(model, cfg, fold, result.best_epoch);
  } else if (!fold.output_dir.empty()) {
    result.model_path = SaveModel(model, cfg, fold, result.best_epoch);
  }
  return result;
}

/// What to lower when a fold runs out of memory: the layer sizes, then the batch.
std::string MemoryAdvice(const TrainConfig& c) {
  std::string advice = "lower --train.hidden (now " + std::to_string(c.net.hidden) + ")";
  if (c.net.kind == NetConfig::Kind::kDietNet)
    advice += ", --train.aux-hidden (now " + std::to_string(c.net.aux_hidden) + ")";
  return advice + " or --batcher.batch-size";
}

/// A trainer stage built from options struct O.
template <class O>
class TorchTrainer : public Trainer {
 public:
  explicit TorchTrainer(const O& options) : config_(ToConfig(options)) {}
  std::string snp_parallel_refusal() const override { return SnpParallelRefusal(config_); }
  FoldResult Train(const FoldInputs& fold) override {
    return GuardTorch("trainer '" + config_.stage + "', fold " + std::to_string(fold.fold),
                      MemoryAdvice(config_), [&] { return TrainFold(config_, fold); });
  }

 private:
  TrainConfig config_;
};

std::map<std::string, std::string> ReadKeyValues(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError("cannot read " + path + "; is this a model directory written by "
                            "`snpflow train` (fold_<f>/)?");
  std::map<std::string, std::string> kv;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    size_t eq = line.find(" = ");
    if (eq == std::string::npos)
      throw FormatError(path + " line " + std::to_string(line_no) + ": expected 'key = value'");
    kv[line.substr(0, eq)] = line.substr(eq + 3);
  }
  return kv;
}

}  // namespace

void RegisterTrainStages(StageRegistry& registry) {
  registry.Add(MakeStageInfo<TorchTrainer<DietNetOptions>, DietNetOptions>(
      "Diet Networks (LibTorch): an aux net predicts the first layer from the SNP embedding"));
  registry.Add(MakeStageInfo<TorchTrainer<MlpOptions>, MlpOptions>(
      "MLP baseline (LibTorch): free S x H first layer"));
  registry.Add(MakeStageInfo<TorchTrainer<MlpImprovedOptions>, MlpImprovedOptions>(
      "MLP baseline, hidden 50 and first-layer dropout 0.2 (LibTorch)"));
}

// ---- SavedModel ----

struct SavedModel::Impl {
  std::string dir;
  std::string kind;
  std::vector<std::string> class_names;
  std::vector<float> mean, std;
  GenotypeNet model{nullptr};
  GenotypeNetImpl::FirstLayer w;
};

SavedModel::SavedModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SavedModel::SavedModel(SavedModel&&) noexcept = default;
SavedModel& SavedModel::operator=(SavedModel&&) noexcept = default;
SavedModel::~SavedModel() = default;

SavedModel SavedModel::Load(const std::string& dir) {
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  const std::string info_path = dir + "/" + kModelInfoFile;
  auto kv = ReadKeyValues(info_path);
  auto get = [&](const std::string& key) -> const std::string& {
    auto it = kv.find(key);
    if (it == kv.end()) throw FormatError(info_path + ": missing key '" + key + "'");
    return it->second;
  };
  // A bad number in model.txt is a FormatError (exit status 1), not a usage error.
  auto get_int = [&](const std::string& key) {
    try {
      return ParseIntOption(get(key), info_path + " " + key);
    } catch (const ConfigError& e) {
      throw FormatError(e.what());
    }
  };
  auto get_double = [&](const std::string& key) {
    try {
      return ParseDoubleOption(get(key), info_path + " " + key);
    } catch (const ConfigError& e) {
      throw FormatError(e.what());
    }
  };
  NetConfig net;
  impl->kind = get("kind");
  if (impl->kind == "dietnet") net.kind = NetConfig::Kind::kDietNet;
  else if (impl->kind == "mlp") net.kind = NetConfig::Kind::kMlp;
  else throw FormatError(info_path + ": unknown model kind '" + impl->kind + "'");
  net.n_snps = get_int("n_snps");
  net.n_classes = get_int("n_classes");
  net.hidden = get_int("hidden");
  net.aux_hidden = get_int("aux_hidden");
  net.dropout1 = get_double("dropout1");
  net.dropout2 = get_double("dropout2");
  net.decoder = get_int("decoder") != 0;
  auto get_int_or = [&](const std::string& key, int64_t fallback) {  // keys added later
    return kv.count(key) ? get_int(key) : fallback;
  };
  net.embedding_cols = get_int_or("embedding_cols", 4 * net.n_classes);
  net.aux_tanh = get_int_or("aux_tanh", 0) != 0;
  net.linear_path = get_int_or("linear_path", 0) != 0;
  if (net.n_snps < 1 || net.n_classes < 1 || net.hidden < 1 || net.aux_hidden < 1)
    throw FormatError(info_path + ": sizes must be positive");

  std::ifstream classes(dir + "/" + kModelClassesFile);
  if (!classes) throw InputError("cannot read " + dir + "/" + kModelClassesFile);
  for (std::string line; std::getline(classes, line);)
    if (!line.empty()) impl->class_names.push_back(line);
  if (static_cast<int64_t>(impl->class_names.size()) != net.n_classes)
    throw FormatError(dir + "/" + kModelClassesFile + ": " +
                      std::to_string(impl->class_names.size()) + " classes, but " + info_path +
                      " says " + std::to_string(net.n_classes));

  if (net.kind == NetConfig::Kind::kDietNet && net.embedding_cols < 1)
    throw FormatError(info_path + ": embedding_cols must be positive");
  SnpFeatures features;  // shapes only: load() fills the buffers
  if (net.kind == NetConfig::Kind::kDietNet) {
    features.embedding = torch::zeros({net.n_snps, net.embedding_cols});
    if (net.linear_path) {  // two tensors: load() copies into each buffer in place
      features.log_p = torch::zeros({net.n_snps, net.n_classes});
      features.log_q = torch::zeros({net.n_snps, net.n_classes});
    }
  }
  impl->model = GenotypeNet(net, features, torch::zeros({net.n_snps}), torch::zeros({net.n_snps}));
  const std::string path = dir + "/" + kModelFile;
  torch::Tensor mean, std;
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    impl->model->load(archive);
    archive.read("snpflow_mean", mean);
    archive.read("snpflow_std", std);
  } catch (const c10::Error& e) {
    throw FormatError(path + ": not a model written by `snpflow train` for " + info_path + " (" +
                      std::string(e.what_without_backtrace()) + ")");
  }
  if (mean.numel() != net.n_snps || std.numel() != net.n_snps)
    throw FormatError(path + ": mean/std have the wrong length for " + std::to_string(net.n_snps) +
                      " SNPs");
  mean = mean.to(torch::kFloat32).contiguous();
  std = std.to(torch::kFloat32).contiguous();
  impl->mean.assign(mean.data_ptr<float>(), mean.data_ptr<float>() + net.n_snps);
  impl->std.assign(std.data_ptr<float>(), std.data_ptr<float>() + net.n_snps);
  impl->model->eval();
  {
    torch::NoGradGuard no_grad;
    impl->w = impl->model->Weights();
  }
  return SavedModel(std::move(impl));
}

const std::string& SavedModel::dir() const { return impl_->dir; }
const std::string& SavedModel::kind() const { return impl_->kind; }
int64_t SavedModel::num_snps() const { return static_cast<int64_t>(impl_->mean.size()); }
const std::vector<std::string>& SavedModel::class_names() const { return impl_->class_names; }
const std::vector<float>& SavedModel::mean() const { return impl_->mean; }
const std::vector<float>& SavedModel::std() const { return impl_->std; }

std::vector<float> SavedModel::Lut() const {
  FoldStats stats;  // the same code as training's LUT, so predictions match bit for bit
  stats.n_snps = impl_->mean.size();
  stats.mean = impl_->mean;
  stats.std = impl_->std;
  return stats.Lut();
}

std::vector<float> SavedModel::Predict(const float* x, int64_t rows, int threads) const {
  if (threads > 0) SetComputeThreads(threads);
  torch::NoGradGuard no_grad;
  torch::Tensor xt = torch::from_blob(const_cast<float*>(x), {rows, num_snps()}, torch::kFloat32);
  torch::Tensor probs = torch::softmax(impl_->model->forward(xt, &impl_->w).logits, 1)
                            .contiguous();
  return std::vector<float>(probs.data_ptr<float>(), probs.data_ptr<float>() + probs.numel());
}

}  // namespace snpflow
