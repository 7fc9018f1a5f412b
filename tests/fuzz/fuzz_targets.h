#pragma once
/// The reader paths the fuzzers drive, shared by the libFuzzer targets (fuzz_*.cc, `make fuzz`)
/// and the seeded mutational fuzzer that runs in ctest (mutation_test.cc). Each function writes
/// `data` to a file under `scratch_dir`, runs one reader on it and returns what it loaded; it
/// either returns or throws snpflow::Error. Anything else (a crash, a sanitizer report, another
/// exception type) is a finding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace snpflow::fuzz {

/// VCF / VCF.gz / BCF bytes: io::VcfSource::Open, then every block through the ingest graph's
/// `decode-gt` and `filter` stages. Returns a digest of what was decoded (sites, codes, skips).
/// Runs twice, with BCF GT decoded by the source and by decode-gt: a difference between the two
/// (codes, skips, error) throws std::logic_error, a finding. Then once more from a pipe (the
/// stream path of VcfSource::Open): other records, or a success where the file fails (or the
/// reverse), is a finding too.
std::string RunVcf(const uint8_t* data, size_t size, const std::string& scratch_dir);

/// store.snpf bytes: io::PackedStore::Load, then every row read back. Returns the loaded content
/// (sample ids, sites, packed rows) serialized, for comparison with the unmutated input's.
std::string RunStore(const uint8_t* data, size_t size, const std::string& scratch_dir);

/// .npy or .npy.zst bytes (`zstd`: name the file .npy.zst): io::ReadNpy. Returns dtype, shape and
/// data serialized; checks that the data size matches shape x itemsize.
std::string RunNpy(const uint8_t* data, size_t size, const std::string& scratch_dir, bool zstd);

/// Silence htslib's own error lines (the fuzzers feed it millions of bad records).
void QuietHtslib();

/// The libFuzzer targets' scratch directory: made once per process (mkdtemp under $TMPDIR, else
/// /tmp) and removed with its files when the process exits normally.
const std::string& ProcessScratchDir();

/// One of the Run* readers above, without the options that vary per target.
using Reader = std::string (*)(const uint8_t* data, size_t size, const std::string& scratch_dir);

/// The body of every fuzz_*.cc's LLVMFuzzerTestOneInput: runs `reader` on the input in
/// ProcessScratchDir() and returns 0. A snpflow::Error is the right answer to a bad input and is
/// caught; anything else propagates to libFuzzer as a finding.
int FuzzOneInput(Reader reader, const uint8_t* data, size_t size);

}  // namespace snpflow::fuzz
