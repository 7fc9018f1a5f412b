#include "io/genotype_counts.h"

#include <algorithm>

#include "io/npy.h"
#include "pipeline/error.h"

namespace snpflow::io {

namespace {

// Copy `n` counts to bytes; false when one of them exceeds 255 (`out` then holds garbage). One
// loop that both narrows and ORs, so that it vectorizes.
bool Narrow(const uint16_t* in, size_t n, uint8_t* out) {
  uint16_t high = 0;
  for (size_t k = 0; k < n; ++k) {
    high |= in[k];
    out[k] = static_cast<uint8_t>(in[k]);
  }
  return high <= UINT8_MAX;
}

}  // namespace

void GenotypeCounts::ThrowNarrow() {
  throw Error("GenotypeCounts::of: the table holds uint8 counts; use Visit or Row");
}

void GenotypeCounts::Append(const uint16_t* row) {
  const size_t n = stride();
  if (narrow_) {
    if (n_snps_ % kChunkSnps == 0) {
      narrow_chunks_.emplace_back();
      narrow_chunks_.back().reserve(kChunkSnps * n);
    }
    std::vector<uint8_t>& chunk = narrow_chunks_.back();
    const size_t at = chunk.size();
    chunk.resize(at + n);
    if (!Narrow(row, n, chunk.data() + at)) {
      chunk.resize(at);  // the table as it was: no partial row, no empty chunk
      if (at == 0) narrow_chunks_.pop_back();
      throw Error("GenotypeCounts::Append: a count above 255 in a table of cells under 256 "
                  "samples (internal error; please report it)");
    }
    ++n_snps_;
    return;
  }
  if (n_snps_ % kChunkSnps == 0) {
    chunks_.emplace_back();
    chunks_.back().reserve(kChunkSnps * n);
  }
  chunks_.back().insert(chunks_.back().end(), row, row + n);
  ++n_snps_;
}

void GenotypeCounts::AppendNarrow(const uint8_t* row) {
  if (!narrow_) throw Error("GenotypeCounts::AppendNarrow: the table holds uint16 counts");
  if (n_snps_ % kChunkSnps == 0) {
    narrow_chunks_.emplace_back();
    narrow_chunks_.back().reserve(kChunkSnps * stride());
  }
  narrow_chunks_.back().insert(narrow_chunks_.back().end(), row, row + stride());
  ++n_snps_;
}

void GenotypeCounts::Row(size_t snp, uint16_t* out) const {
  Visit(snp, [&](const auto* row) { std::copy(row, row + stride(), out); });
}

namespace {

// Totals over one row of either width: 16 uint32 lanes (lane i sums genotype i % 4) so that the
// loop vectorizes; each lane takes at most kLaneRows values before it is folded into the uint64
// totals, so none wraps.
template <class T>
void TotalsOf(const T* c, size_t n, uint64_t totals[4]) {
  constexpr size_t kLanes = 16;
  constexpr size_t kLaneRows = size_t{1} << 16;
  totals[0] = totals[1] = totals[2] = totals[3] = 0;
  size_t k = 0;
  while (n - k >= kLanes) {
    uint32_t lane[kLanes] = {};
    const size_t end = k + std::min((n - k) / kLanes, kLaneRows) * kLanes;
    for (; k < end; k += kLanes)
      for (size_t i = 0; i < kLanes; ++i) lane[i] += c[k + i];
    for (size_t i = 0; i < kLanes; ++i) totals[i % 4] += lane[i];
  }
  for (; k < n; ++k) totals[k % 4] += c[k];
}

}  // namespace

void GenotypeCounts::Totals(size_t snp, uint64_t totals[4]) const {
  Visit(snp, [&](const auto* row) { TotalsOf(row, stride(), totals); });
}

void RowTotals(const uint16_t* row, size_t n, uint64_t totals[4]) { TotalsOf(row, n, totals); }

struct CountsNpyStream::Impl {
  Impl(const std::string& path, int folds, size_t classes, bool narrow)
      : stride(static_cast<size_t>(folds) * classes * 4),
        narrow(narrow),
        writer(path, narrow ? "|u1" : "<u2",
               {NpyWriter::kOpenFirstAxis, static_cast<uint64_t>(folds), classes, 4}) {}
  size_t stride;
  bool narrow;
  NpyWriter writer;
  std::vector<uint8_t> buffer;  // rows not yet written (bytes as the file holds them)
  void Flush() {
    writer.Write(buffer.data(), buffer.size());
    buffer.clear();
  }
};

CountsNpyStream::CountsNpyStream(const std::string& path, int folds, size_t classes, bool narrow)
    : impl_(std::make_unique<Impl>(path, folds, classes, narrow)) {}
CountsNpyStream::~CountsNpyStream() = default;

void CountsNpyStream::Add(const uint16_t* row) {
  Impl& m = *impl_;
  const size_t at = m.buffer.size();
  if (m.narrow) {
    m.buffer.resize(at + m.stride);
    if (!Narrow(row, m.stride, m.buffer.data() + at)) {
      m.buffer.resize(at);
      throw Error("counts.npy: a count exceeds 255 in a table of cells under 256 samples "
                  "(internal error; please report it)");
    }
  } else {
    const auto* bytes = reinterpret_cast<const uint8_t*>(row);
    m.buffer.insert(m.buffer.end(), bytes, bytes + m.stride * sizeof(uint16_t));
  }
  constexpr size_t kFlushBytes = size_t{1} << 20;
  if (m.buffer.size() >= kFlushBytes) m.Flush();
}

void CountsNpyStream::Commit(const OnWritten& on_written) {
  impl_->Flush();
  impl_->writer.Commit(on_written);
}

std::string CountsDtype(const GenotypeCounts& counts) {
  // Every sample has exactly one code per SNP, so any row's four genotype counts of a cell sum to
  // the cell's size (its samples in that partition and class): no count can exceed it.
  if (counts.narrow() || counts.n_snps() == 0) return "|u1";
  const uint16_t* row = counts.of(0);
  for (size_t k = 0; k < counts.stride(); k += 4)
    if (row[k] + row[k + 1] + row[k + 2] + row[k + 3] > UINT8_MAX) return "<u2";
  return "|u1";
}

void WriteCounts(const GenotypeCounts& counts, const std::string& path) {
  const std::string dtype = CountsDtype(counts);
  NpyWriter writer(path, dtype,
                   {counts.n_snps(), static_cast<uint64_t>(counts.folds()), counts.classes(), 4});
  std::vector<uint8_t> narrow;
  for (size_t j = 0; j < counts.n_snps(); j += GenotypeCounts::kChunkSnps) {
    const size_t n = std::min(GenotypeCounts::kChunkSnps, counts.n_snps() - j) * counts.stride();
    if (counts.narrow()) {  // already bytes: written as they are
      counts.Visit(j, [&](const auto* chunk) { writer.Write(chunk, n); });
      continue;
    }
    const uint16_t* chunk = counts.of(j);
    if (dtype == "<u2") {
      writer.Write(chunk, n * sizeof(uint16_t));
      continue;
    }
    narrow.resize(n);
    if (!Narrow(chunk, n, narrow.data())) {
      const uint16_t* bad =
          std::find_if(chunk, chunk + n, [](uint16_t c) { return c > UINT8_MAX; });
      throw Error(path + ": a count of " + std::to_string(*bad) +
                  " exceeds its cell's size (internal error; please report it)");
    }
    writer.Write(narrow.data(), narrow.size());
  }
  writer.Commit();
}

}  // namespace snpflow::io
