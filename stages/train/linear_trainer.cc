// `linear`: multinomial logistic regression with an L2 penalty, a built-in baseline in LibTorch.
// For each lambda of a small grid (largest first, each fit warm-started from the previous one),
// full-batch L-BFGS minimizes mean cross-entropy + lambda / 2 * |W|^2 (bias not penalized) on the
// training samples; the lambda with the best validation accuracy (ties: lower validation loss,
// then the larger lambda) is kept and evaluated on test. sklearn's LogisticRegression(C) is the
// same problem with C = 1 / (lambda * n_train).
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "io/atomic_file.h"
#include "io/npy.h"
#include "pipeline/error.h"
#include "pipeline/registry.h"
#include "pipeline/trainer.h"
#include "stages/baseline_trainers.h"
#include "stages/train/compute_threads.h"
#include "stages/train/evaluation.h"
#include "stages/train/linear_trainer.h"

namespace snpflow {
namespace {

struct LinearOptions {
  static constexpr std::string_view kName = "linear";
  std::string lambdas = "1,0.1,0.01,0.001,0.0001";  // L2 weights tried, chosen on validation
  int max_iter = 200;        // L-BFGS iterations per lambda
  double max_memory_gb = 4;  // the training samples are held as n_train x SNPs floats
  int threads = 0;           // intra-op threads; 0: the run's --threads

  static void Declare(OptionSet<LinearOptions>& o) {
    o.Add("lambdas", &LinearOptions::lambdas,
          "comma-separated L2 penalties (mean CE + lambda/2 |W|^2); the best on validation wins");
    o.Add("max-iter", &LinearOptions::max_iter, "L-BFGS iterations per lambda").Range(1, 100000);
    o.Add("max-memory-gb", &LinearOptions::max_memory_gb,
          "refuse to hold more than this many GB of training floats (n_train x SNPs x 4 bytes)")
        .Range(OptionRange::Above(0));
    o.Add("threads", &LinearOptions::threads, "LibTorch intra-op threads (0: --threads)")
        .Range(0, 4096);
  }
};

std::vector<double> ParseLambdas(const std::string& text, const std::string& where) {
  std::vector<double> out;
  std::string item;
  for (char c : text + ",") {
    if (c == ',' || c == ' ') {
      if (!item.empty()) {
        const double v = ParseDoubleOption(item, where);
        if (!(v >= 0.0) || !std::isfinite(v))
          throw ConfigError(where + ": '" + item + "' is not a penalty >= 0");
        out.push_back(v);
      }
      item.clear();
    } else {
      item += c;
    }
  }
  if (out.empty()) throw ConfigError(where + ": no lambda given; e.g. 1,0.1,0.01");
  std::sort(out.rbegin(), out.rend());  // largest first: each fit warm-starts the next
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

struct Eval {
  double loss = 0;
  double accuracy = 0;
};

class LinearTrainer : public Trainer {
 public:
  explicit LinearTrainer(const LinearOptions& options) : options_(options) {}

  FoldResult Train(const FoldInputs& fold) override {
    const std::string who = "stage [" + label() + "] (linear)";
    const std::vector<double> lambdas = ParseLambdas(options_.lambdas, "--" + label() + ".lambdas");
    if (fold.train == nullptr || fold.valid == nullptr || fold.test == nullptr)
      throw ConfigError(who + ": fold " + std::to_string(fold.fold) +
                        " has no train/valid/test batches");
    const int64_t n_snps = fold.train->num_features();
    const int64_t n_classes = fold.n_classes;
    const int64_t n_train = fold.train->num_samples();
    const double gb = 4.0 * static_cast<double>(n_train) * static_cast<double>(n_snps) / 1e9;
    if (gb > options_.max_memory_gb)
      throw ConfigError(who + ": the training samples take " + std::to_string(gb) +
                        " GB as floats, over --" + label() + ".max-memory-gb " +
                        FormatDoubleOption(options_.max_memory_gb) +
                        "; raise it or filter SNPs (--maf)");
    const int threads = options_.threads > 0
                            ? options_.threads
                            : std::max(fold.ctx != nullptr ? fold.ctx->threads : 1, 1);
    SetComputeThreads(threads);
    const auto start = std::chrono::steady_clock::now();

    // The training samples, dense (full-batch L-BFGS needs every gradient over all of them).
    torch::Tensor x = torch::empty({n_train, n_snps}, torch::kFloat32);
    torch::Tensor y = torch::empty({n_train}, torch::kInt64);
    int64_t row = 0;
    fold.train->Start(0);
    Batch b;
    while (fold.train->Next(&b)) {
      if (b.cols != n_snps || row + b.rows > n_train)
        throw InputError(who + ": the training batches do not match num_samples/num_features");
      x.narrow(0, row, b.rows)
          .copy_(torch::from_blob(const_cast<float*>(b.x), {b.rows, n_snps}, torch::kFloat32));
      y.narrow(0, row, b.rows)
          .copy_(torch::from_blob(const_cast<int64_t*>(b.labels), {b.rows}, torch::kInt64));
      row += b.rows;
    }
    if (row != n_train || n_train == 0)
      throw InputError(who + ": fold " + std::to_string(fold.fold) + " has " +
                       std::to_string(row) + " training samples; add samples or use fewer folds");

    const double copy_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    torch::Tensor w = torch::zeros({n_snps, n_classes}, torch::kFloat32).requires_grad_(true);
    torch::Tensor bias = torch::zeros({n_classes}, torch::kFloat32).requires_grad_(true);
    FoldResult result;
    result.n_params = n_snps * n_classes + n_classes;
    torch::Tensor best_w, best_b;
    double best_acc = -1, best_loss = 0;
    for (size_t k = 0; k < lambdas.size(); ++k) {
      const auto t0 = std::chrono::steady_clock::now();
      const double lambda = lambdas[k];
      torch::optim::LBFGS opt({w, bias}, torch::optim::LBFGSOptions(1.0)
                                             .max_iter(options_.max_iter)
                                             .max_eval(options_.max_iter * 5 / 4)
                                             .tolerance_grad(1e-6)
                                             .tolerance_change(1e-10)
                                             .history_size(20)
                                             .line_search_fn("strong_wolfe"));
      torch::Tensor train_ce;
      auto closure = [&]() -> torch::Tensor {
        opt.zero_grad();
        train_ce = torch::nn::functional::cross_entropy(torch::addmm(bias, x, w), y);
        torch::Tensor loss = train_ce + 0.5 * lambda * w.pow(2).sum();
        loss.backward();
        return loss;
      };
      opt.step(closure);

      EpochMetrics e;
      e.epoch = static_cast<int>(k);
      {
        torch::NoGradGuard no_grad;
        torch::Tensor logits = torch::addmm(bias, x, w);
        e.train_loss = torch::nn::functional::cross_entropy(logits, y).item<double>();
        e.train_accuracy = logits.argmax(1).eq(y).to(torch::kFloat64).mean().item<double>();
      }
      Eval valid = Evaluate(*fold.valid, w, bias, nullptr);
      e.valid_loss = valid.loss;
      e.valid_accuracy = valid.accuracy;
      e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() +
                  (k == 0 ? copy_seconds : 0.0);  // the dense copy belongs to the first fit
      e.wait_seconds = 0;
      result.epochs.push_back(e);
      if (valid.accuracy > best_acc || (valid.accuracy == best_acc && valid.loss < best_loss)) {
        best_acc = valid.accuracy;
        best_loss = valid.loss;
        best_w = w.detach().clone();
        best_b = bias.detach().clone();
        result.best_epoch = static_cast<int>(k);
      }
    }
    Eval test = Evaluate(*fold.test, best_w, best_b, &result.predictions);
    result.test_loss = test.loss;
    result.test_accuracy = test.accuracy;

    const std::string& dir = fold.output_dir;
    io::MakeDirs(dir);
    const double lambda = lambdas[static_cast<size_t>(result.best_epoch)];
    io::WriteFileAtomic(dir + "/" + kBaselineInfoFile,
                        "kind = linear\nlambda = " + FormatDoubleOption(lambda) +
                            "\nlambdas = " + options_.lambdas + "\n");
    torch::Tensor wc = best_w.contiguous(), bc = best_b.contiguous();
    io::WriteNpy(dir + "/weights.npy", "<f4",
                 {static_cast<uint64_t>(n_snps), static_cast<uint64_t>(n_classes)},
                 wc.data_ptr<float>(), static_cast<size_t>(wc.numel()) * sizeof(float));
    io::WriteNpy(dir + "/bias.npy", "<f4", {static_cast<uint64_t>(n_classes)},
                 bc.data_ptr<float>(), static_cast<size_t>(bc.numel()) * sizeof(float));
    result.model_path = dir + "/weights.npy";
    return result;
  }

 private:
  /// Mean cross-entropy and accuracy of x W + b over `source`; predictions if asked.
  static Eval Evaluate(BatchSource& source, const torch::Tensor& w, const torch::Tensor& bias,
                       std::vector<Prediction>* predictions) {
    const EvalSums s = EvaluateBatches(
        source, [&](const torch::Tensor& x) { return torch::addmm(bias, x, w); }, predictions);
    if (s.n == 0) return {};
    const double count = static_cast<double>(s.n);
    return {s.loss_sum / count, static_cast<double>(s.correct) / count};
  }

  LinearOptions options_;
};

}  // namespace

void RegisterLinearTrainer(StageRegistry& registry) {
  registry.Add(MakeStageInfo<LinearTrainer, LinearOptions>(
      "multinomial logistic regression, L2 chosen on validation (L-BFGS, LibTorch)"));
}

}  // namespace snpflow
