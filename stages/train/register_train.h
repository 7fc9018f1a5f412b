#pragma once
/// The LibTorch trainer stages (dietnet, mlp, mlp-improved) and their options. Torch-free: the CLI
/// and the runner include this; only stages/train/*.cc see torch.
#include <cstdint>
#include <string>
#include <string_view>

#include "pipeline/options.h"
#include "pipeline/registry.h"

namespace snpflow {

/// Options shared by the three built-in trainers (section `[train]`, `--train.<name>`).
/// Defaults follow Romero et al. 2017 where the paper gives them (100 hidden units, Adam,
/// dropout 0.5 after each hidden layer); the rest are measured (bench/dietnet_ideas.sh).
struct TorchTrainOptions {
  /// Upper bounds of the declared ranges: beyond them a value is a typo, not a model size.
  /// Sizes below them can still exceed memory; the trainer then says what to lower.
  static constexpr int kMaxHiddenUnits = 100000000;
  static constexpr int kMaxThreads = 4096;

  int epochs = 200;         // at most this many epochs
  int patience = 20;        // stop after this many epochs without a better monitored value
  double lr = 1e-3;         // Adam learning rate
  double weight_decay = 0;  // Adam L2 penalty
  int hidden = 100;         // H: units of both hidden layers
  double dropout1 = 0.5;    // dropout after the first layer (x W -> BN -> ReLU)
  double dropout2 = 0.5;    // dropout after the second hidden layer
  int threads = 0;          // intra-op threads; 0: the run's --threads
  int64_t seed = 0;         // weight init / dropout seed; 0: the run's --seed
  std::string monitor = "valid-loss";  // early stopping: valid-loss or valid-accuracy
  double max_norm = 0;      // > 0: each unit's incoming weights are rescaled to norm <= this

 protected:
  template <class O>
  static void DeclareCommon(OptionSet<O>& o) {
    o.Add("epochs", &O::epochs, "maximum number of epochs").Range(1, 1000000);
    o.Add("patience", &O::patience,
          "early stopping: epochs without a better monitored validation value")
        .Range(1, 1000000);
    o.Add("lr", &O::lr, "Adam learning rate").Range(OptionRange::Above(0));
    o.Add("weight-decay", &O::weight_decay, "Adam weight decay (L2)")
        .Range(OptionRange::AtLeast(0));
    o.Add("hidden", &O::hidden, "units per hidden layer (H)").Range(1, kMaxHiddenUnits);
    o.Add("dropout1", &O::dropout1, "dropout probability after the first layer")
        .Range(OptionRange::HalfOpen(0, 1));
    o.Add("dropout2", &O::dropout2, "dropout probability after the second hidden layer")
        .Range(OptionRange::HalfOpen(0, 1));
    o.Add("threads", &O::threads, "LibTorch intra-op threads (0: --threads)")
        .Range(0, kMaxThreads);
    o.Add("seed", &O::seed, "seed of weight init and dropout (0: --seed)")
        .Range(OptionRange::Ints(0, INT64_MAX));
    o.Add("monitor", &O::monitor,
          "early stopping on valid-loss, or valid-accuracy (validation loss breaks ties)");
    o.Add("max-norm", &O::max_norm,
          "> 0: after each step, rescale each unit's incoming weights to at most this norm")
        .Range(OptionRange::AtLeast(0));
  }
};

/// `dietnet`: an auxiliary network predicts the first layer's weights from the embedding.
struct DietNetOptions : TorchTrainOptions {
  static constexpr std::string_view kName = "dietnet";
  /// Early stopping on the validation accuracy: on 60 uneven classes (bench/baselines.sh B) the
  /// validation loss kept falling while the accuracy fell from 0.79 to 0.59 (bench/README.md).
  DietNetOptions() { monitor = "valid-accuracy"; }
  int aux_hidden = 100;  // Ha: hidden units of the auxiliary networks
  double gamma = 0;      // weight of the reconstruction loss; 0 disables the decoder aux net
  /// The per-SNP embedding the aux nets read: histogram (genotype frequencies per class, S x 4C),
  /// log-freq (log p and log(1 - p) of each class's allele frequency, S x 2C), random (a frozen
  /// random projection of the SNP's training genotype vector), raw (that vector itself, the aux
  /// net's first layer learned end to end), snp2vec (a denoising autoencoder's code of it).
  std::string embedding = "histogram";
  /// Pseudo-count (samples) shrinking each class's frequencies toward all classes'. 3, measured:
  /// naive Bayes noise from 1-50 training samples per class is what loses to logistic regression.
  double prior = 3;
  bool cross_fit = true;      // a training sample's partition never enters its own weights
  bool linear_path = true;    // add a linear path that starts at (tempered) naive Bayes
  bool normalize_embedding = false;  // scale each embedding column to unit norm
  std::string aux_activation = "relu";  // relu, or tanh with small uniform init
  int embedding_dim = 100;    // random / snp2vec: embedding columns
  int snp2vec_epochs = 50;    // snp2vec: autoencoder epochs

  static void Declare(OptionSet<DietNetOptions>& o) {
    DeclareCommon(o);
    o.Add("aux-hidden", &DietNetOptions::aux_hidden, "hidden units of the auxiliary networks")
        .Range(1, kMaxHiddenUnits);
    o.Add("gamma", &DietNetOptions::gamma,
          "reconstruction loss weight; > 0 adds the decoder auxiliary network")
        .Range(OptionRange::AtLeast(0));
    o.Add("embedding", &DietNetOptions::embedding,
          "per-SNP embedding: histogram, log-freq, random, raw or snp2vec");
    o.Add("prior", &DietNetOptions::prior,
          "pseudo-count (samples) shrinking per-class frequencies toward the all-class ones")
        .Range(OptionRange::AtLeast(0));
    o.Add("cross-fit", &DietNetOptions::cross_fit,
          "a training batch's first layer (histogram/log-freq embedding, linear path) comes "
          "from the other training partitions' counts; evaluation uses all of them");
    o.Add("linear-path", &DietNetOptions::linear_path,
          "add logits from log allele frequencies, initialized to naive Bayes");
    o.Add("normalize-embedding", &DietNetOptions::normalize_embedding,
          "scale each embedding column to unit L2 norm over SNPs");
    o.Add("aux-activation", &DietNetOptions::aux_activation,
          "aux net activation: relu, or tanh (with U(-0.01, 0.01) init)");
    o.Add("embedding-dim", &DietNetOptions::embedding_dim,
          "columns of the random and snp2vec embeddings")
        .Range(1, kMaxHiddenUnits);
    o.Add("snp2vec-epochs", &DietNetOptions::snp2vec_epochs, "epochs of the snp2vec autoencoder")
        .Range(1, 1000000);
  }
};

/// `mlp`: the same discriminative net with a free S x H first layer.
struct MlpOptions : TorchTrainOptions {
  static constexpr std::string_view kName = "mlp";
  static void Declare(OptionSet<MlpOptions>& o) { DeclareCommon(o); }
};

/// `mlp-improved`: hidden 50 and first-layer dropout 0.2. The paper's "dropout 0.8" read as a
/// drop probability scored 0.51 where 0.2 scored 0.69 (bench/README.md, 26 classes, 800 samples).
struct MlpImprovedOptions : TorchTrainOptions {
  static constexpr std::string_view kName = "mlp-improved";
  MlpImprovedOptions() {
    hidden = 50;
    dropout1 = 0.2;
  }
  static void Declare(OptionSet<MlpImprovedOptions>& o) { DeclareCommon(o); }
};

/// Register dietnet, mlp and mlp-improved (role: trainer) in `registry`.
void RegisterTrainStages(StageRegistry& registry);

/// Return the number of free parameters of a model, by formula (for tests and reports):
/// dietnet: 2 * [decoder] aux nets of (4C*Ha + Ha) + (Ha*H + H), plus the discriminative tail;
/// mlp: S*H plus the tail. Tail: BN 2H + Linear(H,H) H*H+H + BN 2H + Linear(H,C) H*C+C.
/// `embedding_cols` (F) replaces 4C in the aux nets' first layer when > 0; the linear path adds
/// 1 + C (temperature and class bias).
int64_t DietNetParameterCount(int64_t n_snps, int64_t classes, int64_t hidden, int64_t aux_hidden,
                              bool decoder, int64_t embedding_cols = 0, bool linear_path = false);
int64_t MlpParameterCount(int64_t n_snps, int64_t classes, int64_t hidden);

}  // namespace snpflow
