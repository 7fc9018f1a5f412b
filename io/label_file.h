#pragma once
/// The label file: 1000 Genomes panel format, a header line then one row per sample, tab- or
/// space-separated (`sample pop super_pop gender`). The label column is chosen by name.
#include <string>
#include <unordered_map>
#include <vector>

namespace snpflow::io {

struct LabelTable {
  std::vector<std::string> samples;               // file order
  std::vector<std::string> labels;                // same order
  std::unordered_map<std::string, size_t> index;  // sample -> row
};

/// Read `path` and take column `column` (by header name) as the label. Throws InputError naming
/// the file and line for a missing file, an unknown column (listing the known ones), a short row,
/// or a duplicate sample.
LabelTable ReadLabelFile(const std::string& path, const std::string& column);

/// Read a -S samples file: one sample id per line (a leading '^' on `path` excludes them instead).
std::vector<std::string> ReadSampleList(const std::string& path);

}  // namespace snpflow::io
