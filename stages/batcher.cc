#include "stages/batcher.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "pipeline/error.h"
#include "pipeline/folds.h"

namespace snpflow {

namespace {

const OptionSet<BatcherOptions>& BatcherOptionSet() {
  static const OptionSet<BatcherOptions> set = [] {
    OptionSet<BatcherOptions> s;
    BatcherOptions::Declare(s);
    return s;
  }();
  return set;
}

// Rows unpacked per TBB task: large enough to amortize scheduling, small enough to balance.
constexpr size_t kRowsPerTask = 4;

}  // namespace

const std::vector<OptionDecl>& BatcherOptionDecls() { return BatcherOptionSet().decls(); }

BatcherOptions BuildBatcherOptions(const OptionValues& values) {
  return BatcherOptionSet().Build(values, "batcher.");  // ranges declared in batcher.h
}

FoldSplit SplitFold(const SampleTable& samples, int fold) {
  FoldSplit split;
  for (size_t i = 0; i < samples.size(); ++i) {
    switch (SplitOf(samples.partition[i], fold, samples.folds)) {
      case Split::kTrain: split.train.push_back(static_cast<int64_t>(i)); break;
      case Split::kValid: split.valid.push_back(static_cast<int64_t>(i)); break;
      case Split::kTest: split.test.push_back(static_cast<int64_t>(i)); break;
    }
  }
  return split;
}

uint64_t ShuffleSeed(uint64_t seed, int fold, int epoch) {
  // Distinct from the fold-assignment seeds (pipeline/folds.cc mixes in 0xF01D).
  return MixSeed(MixSeed(seed, 0xBA7C4, static_cast<uint64_t>(fold)), static_cast<uint64_t>(epoch));
}

std::vector<int64_t> ShuffledOrder(std::vector<int64_t> order, uint64_t seed, int fold,
                                   int epoch) {
  // SeededShuffle: own Fisher-Yates over mt19937_64, so every platform agrees.
  SeededShuffle(order, ShuffleSeed(seed, fold, epoch));
  return order;
}

void UnpackRow(const uint8_t* row, size_t n_snps, const float* lut, float* out) {
  size_t full = n_snps / 4;
  for (size_t b = 0; b < full; ++b) {
    uint8_t v = row[b];
    const float* l = lut + 16 * b;
    float* o = out + 4 * b;
    o[0] = l[v & 3];
    o[1] = l[4 + ((v >> 2) & 3)];
    o[2] = l[8 + ((v >> 4) & 3)];
    o[3] = l[12 + ((v >> 6) & 3)];
  }
  for (size_t j = 4 * full; j < n_snps; ++j) {
    out[j] = lut[4 * j + ((row[j / 4] >> (2 * (j % 4))) & 3)];
  }
}

void UnpackCodes(const uint8_t* row, size_t n_snps, uint8_t* out) {
  for (size_t j = 0; j < n_snps; ++j) out[j] = (row[j / 4] >> (2 * (j % 4))) & 3;
}

struct StoreBatchSource::Impl {
  struct Slot {
    std::vector<float> x;
    std::vector<uint8_t> codes;  // only with options.codes
    std::vector<int64_t> labels;
    std::vector<int64_t> samples;
    int64_t rows = 0;
  };

  const io::PackedStore& store;
  const float* lut;
  std::vector<int64_t> labels;  // parallel to samples_
  BatcherOptions options;
  bool shuffle;
  uint64_t seed;
  int fold;
  size_t snp_begin = 0, snp_end = 0;  // the columns unpacked (SetSnpRange)
  size_t slice_rank = 0, slice_world = 1;  // the rows of each batch unpacked (SetRowSlice)

  std::vector<int64_t> order_labels;  // labels in the current order
  std::vector<Slot> slots;
  size_t n_batches = 0;

  // Producer/consumer state, guarded by mu.
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Slot*> free_slots;
  std::deque<Slot*> ready;  // nullptr marks the end of the epoch
  bool cancel = false;
  std::exception_ptr error;
  std::thread producer;

  Slot* held = nullptr;  // the batch the consumer is reading
  bool started = false;
  bool epoch_done = false;
  size_t next_sync = 0;  // next batch index when prefetch == 0

  Impl(const io::PackedStore& s, std::vector<int64_t> l, const float* t, const BatcherOptions& o,
       bool sh, uint64_t sd, int f)
      : store(s), lut(t), labels(std::move(l)), options(o), shuffle(sh), seed(sd), fold(f),
        snp_end(s.num_variants()) {}

  void Fill(Slot& slot, const std::vector<int64_t>& order, size_t b) {
    const size_t batch = static_cast<size_t>(options.batch_size);
    const size_t begin = b * batch;
    const size_t rows = std::min(batch, order.size() - begin);
    const size_t n_snps = snp_end - snp_begin;
    slot.rows = static_cast<int64_t>(rows);
    slot.x.resize(rows * n_snps);
    if (options.codes) slot.codes.resize(rows * n_snps);
    slot.labels.assign(order_labels.begin() + begin, order_labels.begin() + begin + rows);
    slot.samples.assign(order.begin() + begin, order.begin() + begin + rows);
    const size_t row_bytes = store.row_bytes();
    const size_t lo = rows * slice_rank / slice_world, hi = rows * (slice_rank + 1) / slice_world;
    tbb::parallel_for(tbb::blocked_range<size_t>(lo, hi, kRowsPerTask),
                      [&](const tbb::blocked_range<size_t>& r) {
                        std::vector<uint8_t> packed(row_bytes);
                        for (size_t i = r.begin(); i != r.end(); ++i) {
                          store.ReadRow(static_cast<size_t>(slot.samples[i]), packed.data());
                          const uint8_t* first = packed.data() + snp_begin / 4;
                          UnpackRow(first, n_snps, lut + 4 * snp_begin,
                                    slot.x.data() + i * n_snps);
                          if (options.codes)
                            UnpackCodes(first, n_snps, slot.codes.data() + i * n_snps);
                        }
                      });
  }

  void Produce(const std::vector<int64_t>* order) {
    for (size_t b = 0; b < n_batches; ++b) {
      Slot* slot = nullptr;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return cancel || !free_slots.empty(); });
        if (cancel) return;
        slot = free_slots.front();
        free_slots.pop_front();
      }
      try {
        Fill(*slot, *order, b);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        error = std::current_exception();
        ready.push_back(nullptr);
        cv.notify_all();
        return;
      }
      std::lock_guard<std::mutex> lock(mu);
      ready.push_back(slot);
      cv.notify_all();
    }
    std::lock_guard<std::mutex> lock(mu);
    ready.push_back(nullptr);
    cv.notify_all();
  }

  /// Free the batch buffers; call only while no producer can touch them (epoch over or stopped).
  void ReleaseBuffers() {
    for (auto& s : slots) {
      std::vector<float>().swap(s.x);
      std::vector<uint8_t>().swap(s.codes);
      s.rows = 0;
    }
  }

  void Stop() {
    if (producer.joinable()) {
      {
        std::lock_guard<std::mutex> lock(mu);
        cancel = true;
      }
      cv.notify_all();
      producer.join();
    }
    std::lock_guard<std::mutex> lock(mu);
    cancel = false;
    error = nullptr;
    ready.clear();
    free_slots.clear();
    for (auto& s : slots) free_slots.push_back(&s);
    held = nullptr;
  }
};

StoreBatchSource::StoreBatchSource(const io::PackedStore& store, std::vector<int64_t> samples,
                                   std::vector<int64_t> labels, const float* lut,
                                   const BatcherOptions& options, bool shuffle, uint64_t seed,
                                   int fold)
    : samples_(std::move(samples)) {
  if (labels.size() != samples_.size())
    throw InputError("batcher: " + std::to_string(labels.size()) + " labels for " +
                     std::to_string(samples_.size()) + " samples");
  if (options.batch_size < 1) throw ConfigError("--batcher.batch-size must be at least 1");
  for (int64_t s : samples_) {
    if (s < 0 || static_cast<size_t>(s) >= store.num_samples())
      throw InputError("batcher: sample index " + std::to_string(s) + " is outside the store (" +
                       std::to_string(store.num_samples()) + " samples)");
  }
  impl_ = std::make_unique<Impl>(store, std::move(labels), lut, options, shuffle, seed, fold);
  impl_->slots.resize(static_cast<size_t>(std::max(options.prefetch, 0)) + 1);
  impl_->n_batches = (samples_.size() + options.batch_size - 1) / options.batch_size;
}

StoreBatchSource::~StoreBatchSource() {
  if (impl_) impl_->Stop();
}

int64_t StoreBatchSource::num_features() const {
  return static_cast<int64_t>(impl_->snp_end - impl_->snp_begin);
}

void StoreBatchSource::SetRowSlice(int rank, int world_size) {
  Impl& m = *impl_;
  if (world_size < 1 || rank < 0 || rank >= world_size)
    throw Error("batcher: rank " + std::to_string(rank) + " of " + std::to_string(world_size) +
                " is out of range");
  if (m.started) throw Error("batcher: SetRowSlice after Start");
  m.slice_rank = static_cast<size_t>(rank);
  m.slice_world = static_cast<size_t>(world_size);
}

void StoreBatchSource::SetSnpRange(size_t begin, size_t end) {
  Impl& m = *impl_;
  if (begin % 4 != 0 || begin > end || end > m.store.num_variants())
    throw Error("batcher: SNP range [" + std::to_string(begin) + ", " + std::to_string(end) +
                ") is not a range of the store's " + std::to_string(m.store.num_variants()) +
                " SNPs starting at a multiple of 4");
  if (m.started) throw Error("batcher: SetSnpRange after Start");
  m.snp_begin = begin;
  m.snp_end = end;
}

void StoreBatchSource::Start(int epoch) {
  Impl& m = *impl_;
  m.Stop();
  // Shuffle positions, then map: identical to ShuffledOrder(samples_, ...) and keeps labels along.
  std::vector<int64_t> pos(samples_.size());
  for (size_t i = 0; i < pos.size(); ++i) pos[i] = static_cast<int64_t>(i);
  if (m.shuffle) pos = ShuffledOrder(std::move(pos), m.seed, m.fold, epoch);
  order_.resize(pos.size());
  m.order_labels.resize(pos.size());
  for (size_t i = 0; i < pos.size(); ++i) {
    order_[i] = samples_[static_cast<size_t>(pos[i])];
    m.order_labels[i] = m.labels[static_cast<size_t>(pos[i])];
  }
  m.started = true;
  m.epoch_done = false;
  m.next_sync = 0;
  if (m.options.prefetch > 0) m.producer = std::thread([&m, this] { m.Produce(&order_); });
}

bool StoreBatchSource::Next(Batch* batch) {
  Impl& m = *impl_;
  if (!m.started) Start(0);
  if (m.epoch_done) return false;
  Impl::Slot* slot = nullptr;
  if (m.options.prefetch == 0) {
    if (m.next_sync >= m.n_batches) {
      m.epoch_done = true;
      m.ReleaseBuffers();
      return false;
    }
    slot = &m.slots[0];
    auto t0 = std::chrono::steady_clock::now();
    m.Fill(*slot, order_, m.next_sync++);
    wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  } else {
    std::unique_lock<std::mutex> lock(m.mu);
    if (m.held != nullptr) {
      m.free_slots.push_back(m.held);
      m.held = nullptr;
      m.cv.notify_all();
    }
    auto t0 = std::chrono::steady_clock::now();
    m.cv.wait(lock, [&] { return !m.ready.empty(); });
    wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    slot = m.ready.front();
    m.ready.pop_front();
    if (slot == nullptr) {
      // The producer's last act was pushing this marker: it touches no slot any more.
      m.epoch_done = true;
      m.ReleaseBuffers();
      if (m.error) std::rethrow_exception(m.error);
      return false;
    }
    m.held = slot;
  }
  batch->x = slot->x.data();
  batch->rows = slot->rows;
  batch->cols = num_features();
  batch->labels = slot->labels.data();
  batch->samples = slot->samples.data();
  batch->codes = m.options.codes ? slot->codes.data() : nullptr;
  return true;
}

}  // namespace snpflow
