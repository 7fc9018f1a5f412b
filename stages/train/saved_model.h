#pragma once
/// A trained model loaded back from a fold directory (model.pt, model.txt, classes.txt), for
/// `snpflow predict` and tests. Torch-free interface; the implementation is in torch_trainer.cc.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace snpflow {

/// Files a trainer writes into its fold directory.
inline constexpr const char* kModelFile = "model.pt";         // weights, buffers, mean, std
inline constexpr const char* kModelInfoFile = "model.txt";    // `key = value` lines
inline constexpr const char* kModelClassesFile = "classes.txt";

class SavedModel {
 public:
  /// Load the model in `dir`. Throws InputError when a file is missing, FormatError when it is
  /// malformed; both name the file.
  static SavedModel Load(const std::string& dir);
  SavedModel(SavedModel&&) noexcept;
  SavedModel& operator=(SavedModel&&) noexcept;
  ~SavedModel();

  const std::string& dir() const;
  /// "dietnet" or "mlp".
  const std::string& kind() const;
  int64_t num_snps() const;
  const std::vector<std::string>& class_names() const;
  /// The fold's training mean and std per SNP (as given to the trainer).
  const std::vector<float>& mean() const;
  const std::vector<float>& std() const;
  /// Return the unpacking table (num_snps x 4), exactly as FoldStats::Lut() computes it.
  std::vector<float> Lut() const;
  /// Return rows x num_classes softmax probabilities for normalized inputs `x`
  /// (rows x num_snps, row-major), in evaluation mode. `threads` > 0 sets LibTorch's threads.
  std::vector<float> Predict(const float* x, int64_t rows, int threads = 0) const;

 private:
  struct Impl;
  explicit SavedModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace snpflow
