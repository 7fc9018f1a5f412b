#include "tests/fuzz/fuzz_targets.h"

#include <htslib/hts.h>
#include <unistd.h>

#include <csignal>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <typeinfo>
#include <utility>

#include "io/npy.h"
#include "io/packed_store.h"
#include "io/vcf_source.h"
#include "pipeline/error.h"
#include "pipeline/registry.h"
#include "pipeline/variant_block.h"

namespace snpflow::fuzz {
namespace {

std::string WriteInput(const uint8_t* data, size_t size, const std::string& scratch_dir,
                       const std::string& name) {
  const std::string path = scratch_dir + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) throw std::runtime_error("fuzz: cannot write " + path);
  return path;
}

}  // namespace

void QuietHtslib() { hts_set_log_level(HTS_LOG_OFF); }

const std::string& ProcessScratchDir() {
  static const std::string dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp != nullptr ? tmp : "/tmp") + "/snpflow-fuzz-XXXXXX";
    if (mkdtemp(templ.data()) == nullptr) {
      std::perror("fuzz: mkdtemp");
      std::abort();
    }
    return templ;
  }();
  static const bool cleanup = [] {
    return std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(ProcessScratchDir(), ignored);
    }) == 0;
  }();
  (void)cleanup;
  return dir;
}

int FuzzOneInput(Reader reader, const uint8_t* data, size_t size) {
  try {
    reader(data, size, ProcessScratchDir());
  } catch (const Error&) {
    // A clear error is the right answer to a bad input.
  }
  return 0;
}

namespace {

// One pass of RunVcf over the file at `path`. `gt_in_reader`: BCF GT decoded by the source as it
// reads each record (ingest on 1-2 threads), else by decode-gt (more threads).
std::string DecodeVcf(const std::string& path, bool gt_in_reader) {
  io::VcfSourceOptions options;
  options.path = path;
  options.decode_bcf_gt = gt_in_reader;
  options.block_variants = 16;  // several blocks from small inputs
  options.quiet = true;         // no warnings: the fuzzers feed millions of odd inputs
  std::unique_ptr<io::VcfSource> source = io::VcfSource::Open(options);
  const StageRegistry& registry = DefaultRegistry();
  auto decode = registry.Make<BlockStage>("decode-gt", {}, "decode-gt");
  auto filter = registry.Make<BlockStage>("filter", {}, "filter");
  std::string digest;
  for (const auto& id : source->sample_ids()) digest += id + "\n";
  VariantBlock block;
  while (source->ReadBlock(block)) {
    decode->Process(block);
    filter->Process(block);
    if (block.codes.size() != block.size() * block.n_samples)
      throw std::logic_error("decode-gt left " + std::to_string(block.codes.size()) +
                             " codes for " + std::to_string(block.size()) + " variants");
    for (size_t i = 0; i < block.size(); ++i) {
      const Variant& v = block.variants[i];
      digest += v.chrom + ":" + std::to_string(v.pos) + ":" + v.ref + ":" + v.alt + " ";
      if (!block.kept(i)) {
        digest += std::string("skip ") + block.dropped[i] + "\n";
        continue;
      }
      for (size_t s = 0; s < block.n_samples; ++s) {
        const uint8_t code = block.codes_of(i)[s];
        if (code > 3) throw std::logic_error("decode-gt wrote code " + std::to_string(code));
        digest += static_cast<char>('0' + code);
      }
      digest += "\n";
    }
  }
  return digest;
}

// The same bytes read as a stream: a pipe, as `snpflow ingest -` or `<(zcat x.vcf.gz)` reads, where
// the header is read apart and parsed from its text (VcfSource::Open) and a BGZF file's missing end
// marker shows only at its end (ReadBlock). A writer thread feeds the pipe.
std::string DecodeVcfStream(const uint8_t* data, size_t size) {
  // A reader that stops early closes the pipe: the writer's next write must fail, not kill us.
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { std::signal(SIGPIPE, SIG_IGN); });
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("fuzz: cannot make a pipe");
  std::thread writer([fd = fds[1], data, size] {
    for (size_t done = 0; done < size;) {
      const ssize_t n = ::write(fd, data + done, size - done);
      if (n <= 0) break;  // the reader is gone
      done += static_cast<size_t>(n);
    }
    ::close(fd);
  });
  std::string result;
  std::exception_ptr error;
  try {
    result = DecodeVcf("/dev/fd/" + std::to_string(fds[0]), /*gt_in_reader=*/true);
  } catch (...) {
    error = std::current_exception();
  }
  ::close(fds[0]);  // the last read end: a writer still blocked in write() now fails
  writer.join();
  if (error) std::rethrow_exception(error);
  return result;
}

}  // namespace

std::string RunVcf(const uint8_t* data, size_t size, const std::string& scratch_dir) {
  const std::string path = WriteInput(data, size, scratch_dir, "input.vcf");
  // Both places that decode BCF GT must give the same codes, skips and errors on every input.
  std::string results[2];
  std::exception_ptr errors[2];
  for (int in_reader : {1, 0}) {
    try {
      results[in_reader] = DecodeVcf(path, in_reader == 1);
    } catch (const Error& e) {
      results[in_reader] = std::string("error ") + typeid(e).name() + ": " + e.what();
      errors[in_reader] = std::current_exception();
    }
  }
  if (results[0] != results[1])
    throw std::logic_error("BCF GT decoded by the source and by decode-gt differ:\n" +
                           results[1].substr(0, 2000) + "\n--- decode-gt:\n" +
                           results[0].substr(0, 2000));
  // Read as a stream, the input must give the same records, or fail too (its error may differ:
  // a stream has no size to check the header's or the BGZF end marker against up front).
  std::string stream;
  bool stream_failed = false;
  try {
    stream = DecodeVcfStream(data, size);
  } catch (const Error& e) {
    stream_failed = true;
    stream = std::string("error ") + typeid(e).name() + ": " + e.what();
  }
  if (!errors[1] && stream != results[1])
    throw std::logic_error("the input read as a file and as a stream differ:\n" +
                           results[1].substr(0, 2000) + "\n--- stream:\n" +
                           stream.substr(0, 2000));
  if (errors[1] && !stream_failed)
    throw std::logic_error("the input fails as a file (" + results[1].substr(0, 500) +
                           ") but reads as a stream:\n" + stream.substr(0, 2000));
  if (errors[1]) std::rethrow_exception(errors[1]);
  return results[1];
}

std::string RunStore(const uint8_t* data, size_t size, const std::string& scratch_dir) {
  const std::string path = WriteInput(data, size, scratch_dir, "store.snpf");
  io::PackedStore store = io::PackedStore::Load(path);
  std::string out;
  for (const auto& id : store.sample_ids()) out += id + "\n";
  for (const auto& s : store.sites())
    out += s.chrom + "\t" + std::to_string(s.pos) + "\t" + s.id + "\t" + s.ref + "\t" + s.alt + "\n";
  std::vector<uint8_t> row(store.row_bytes());
  for (size_t i = 0; i < store.num_samples(); ++i) {
    store.ReadRow(i, row.data());
    out.append(reinterpret_cast<const char*>(row.data()), row.size());
  }
  // What Load accepts, LoadVariantRange reads the same, for ranges at and off tile boundaries.
  const size_t n = store.num_variants();
  const size_t mid = n / 2 / 4 * 4;
  for (auto [b, e] : {std::pair<size_t, size_t>{mid, n}, {0, mid}, {n / 4 * 4, n}}) {
    io::PackedStore part = io::PackedStore::LoadVariantRange(path, b, e);
    if (part.num_variants() != e - b || part.sites().size() != e - b)
      throw std::logic_error("LoadVariantRange: wrong size for [" + std::to_string(b) + ", " +
                             std::to_string(e) + ")");
    for (size_t i = 0; i < store.num_samples(); ++i)
      for (size_t j = b; j < e; ++j)
        if (part.code(i, j - b) != store.code(i, j))
          throw std::logic_error("LoadVariantRange: code (" + std::to_string(i) + ", " +
                                 std::to_string(j) + ") differs from Load's");
  }
  return out;
}

std::string RunNpy(const uint8_t* data, size_t size, const std::string& scratch_dir, bool zstd) {
  const std::string path = WriteInput(data, size, scratch_dir, zstd ? "a.npy.zst" : "a.npy");
  io::NpyArray array = io::ReadNpy(path);
  uint64_t elements = 1;
  for (uint64_t d : array.shape) elements *= d;  // ReadNpy checked the product for overflow
  const uint64_t itemsize = std::stoull(array.dtype.substr(2));
  if (array.data.size() != elements * itemsize)
    throw std::logic_error("ReadNpy returned " + std::to_string(array.data.size()) +
                           " bytes for " + std::to_string(elements) + " elements of " +
                           array.dtype);
  std::string out = array.dtype;
  for (uint64_t d : array.shape) out += " " + std::to_string(d);
  out += "\n";
  out.append(reinterpret_cast<const char*>(array.data.data()), array.data.size());
  // What ReadNpy accepts, ReadNpyRows reads the same: the second half of the rows.
  if (!array.shape.empty()) {
    const uint64_t rows = array.shape[0], half = rows / 2;
    const io::NpyArray part = io::ReadNpyRows(path, half, rows);
    const size_t row = rows == 0 ? 0 : array.data.size() / rows;
    if (part.dtype != array.dtype || part.shape[0] != rows - half ||
        !std::equal(part.data.begin(), part.data.end(), array.data.begin() + half * row,
                    array.data.end()))
      throw std::logic_error("ReadNpyRows: rows [" + std::to_string(half) + ", " +
                             std::to_string(rows) + ") differ from ReadNpy's");
  }
  return out;
}

}  // namespace snpflow::fuzz
