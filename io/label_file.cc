#include "io/label_file.h"

#include <fstream>
#include <sstream>

#include "pipeline/error.h"

namespace snpflow::io {

namespace {
std::vector<std::string> SplitFields(const std::string& line) {
  std::vector<std::string> fields;
  std::istringstream in(line);
  std::string f;
  while (in >> f) fields.push_back(f);
  return fields;
}
}  // namespace

LabelTable ReadLabelFile(const std::string& path, const std::string& column) {
  std::ifstream in(path);
  if (!in) throw InputError("cannot open label file '" + path + "'; check --labels");
  std::string line;
  if (!std::getline(in, line))
    throw InputError("label file '" + path + "' is empty; expected a header line such as "
                     "'sample<TAB>pop<TAB>super_pop<TAB>gender'");
  std::vector<std::string> header = SplitFields(line);
  size_t col = header.size();
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == column) col = i;
  if (col == header.size() || col == 0) {
    std::string known;
    for (size_t i = 1; i < header.size(); ++i) known += (i > 1 ? ", " : "") + header[i];
    throw InputError("label file '" + path + "' has no column '" + column +
                     "'; choose --label-column from: " + known);
  }
  LabelTable table;
  size_t line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f = SplitFields(line);
    if (f.empty()) continue;
    if (f.size() <= col)
      throw InputError("label file '" + path + "' line " + std::to_string(line_no) + ": has " +
                       std::to_string(f.size()) + " fields, column '" + column + "' is field " +
                       std::to_string(col + 1));
    if (!table.index.emplace(f[0], table.samples.size()).second)
      throw InputError("label file '" + path + "' line " + std::to_string(line_no) +
                       ": sample '" + f[0] + "' appears twice");
    table.samples.push_back(f[0]);
    table.labels.push_back(f[col]);
  }
  if (table.samples.empty()) throw InputError("label file '" + path + "' has no samples");
  return table;
}

std::vector<std::string> ReadSampleList(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError("cannot open samples file '" + path + "'; check -S/--samples");
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    auto f = SplitFields(line);
    if (!f.empty()) out.push_back(f[0]);
  }
  return out;
}

}  // namespace snpflow::io
