#pragma once
/// Stratified fold partitions: each sample gets a partition 0..K-1, balanced within each class.
#include <cstdint>
#include <vector>

namespace snpflow {

/// Return a partition per sample. Within each class, samples are shuffled with a seeded
/// mt19937_64 (own Fisher-Yates, so every platform agrees) and dealt round-robin; each class
/// starts where the previous one stopped, so partition sizes differ by at most one.
std::vector<int> AssignFolds(const std::vector<int>& labels, int num_classes, int folds,
                             uint64_t seed);

/// Fisher-Yates shuffle with mt19937_64 seeded by `seed` (portable, unlike std::shuffle).
void SeededShuffle(std::vector<int64_t>& values, uint64_t seed);

/// Mix several integers into one seed (splitmix64).
uint64_t MixSeed(uint64_t a, uint64_t b, uint64_t c = 0);

}  // namespace snpflow
