#pragma once
/// Turning a batch's logits into the runner's Prediction rows, shared by the LibTorch trainers
/// (torch header: include only from stages/train/).
#include <torch/torch.h>

#include <vector>

#include "pipeline/trainer.h"

namespace snpflow {

/// Append one Prediction per row of `logits` (rows x classes) for the samples of `batch`, with
/// softmax probabilities and `predicted` (argmax, rows) as the predicted class.
inline void AppendPredictions(const torch::Tensor& logits, const torch::Tensor& predicted,
                              const Batch& batch, std::vector<Prediction>* predictions) {
  torch::Tensor probs = torch::softmax(logits, 1).contiguous();
  torch::Tensor pred = predicted.contiguous();
  const float* p = probs.data_ptr<float>();
  const int64_t* best = pred.data_ptr<int64_t>();
  const int64_t classes = probs.size(1);
  for (int64_t i = 0; i < batch.rows; ++i) {
    Prediction pr;
    pr.sample = batch.samples[i];
    pr.truth = static_cast<int>(batch.labels[i]);
    pr.predicted = static_cast<int>(best[i]);
    pr.probabilities.assign(p + i * classes, p + (i + 1) * classes);
    predictions->push_back(std::move(pr));
  }
}

}  // namespace snpflow
