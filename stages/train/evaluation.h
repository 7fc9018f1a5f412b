#pragma once
/// Evaluating a LibTorch trainer's logits over a batch source and turning them into the runner's
/// Prediction rows, shared by the LibTorch trainers (torch header: include only from
/// stages/train/).
#include <torch/torch.h>

#include <utility>
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

/// Sums of one evaluation pass: summed cross-entropy, correct predictions, rows.
struct EvalSums {
  double loss_sum = 0;
  int64_t correct = 0;
  int64_t n = 0;
};

/// Run `logits_of(x)` (rows x classes) on every batch of `source` in its fixed order, without
/// gradients, and sum loss and correct predictions; appends Predictions if `predictions`.
template <class LogitsOf>
EvalSums EvaluateBatches(BatchSource& source, LogitsOf&& logits_of,
                         std::vector<Prediction>* predictions) {
  torch::NoGradGuard no_grad;
  source.Start(0);
  Batch b;
  EvalSums s;
  while (source.Next(&b)) {
    torch::Tensor x = torch::from_blob(const_cast<float*>(b.x), {b.rows, b.cols}, torch::kFloat32);
    torch::Tensor y = torch::from_blob(const_cast<int64_t*>(b.labels), {b.rows}, torch::kInt64);
    torch::Tensor logits = logits_of(x);
    s.loss_sum += torch::nn::functional::cross_entropy(
                      logits, y,
                      torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                      .item<double>();
    torch::Tensor predicted = logits.argmax(1);
    s.correct += predicted.eq(y).sum().item<int64_t>();
    s.n += b.rows;
    if (predictions != nullptr) AppendPredictions(logits, predicted, b, predictions);
  }
  return s;
}

}  // namespace snpflow
