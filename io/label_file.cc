#include "io/label_file.h"

#include <sys/stat.h>

#include <fstream>
#include <unordered_map>

#include "pipeline/error.h"

namespace snpflow::io {

namespace {

// The whitespace-separated fields of `line`, as `std::istringstream >> std::string` splits them
// (space, tab, \n, \v, \f, \r), without a stream per line (3,450 lines cost ~2 ms that way).
std::vector<std::string> SplitFields(const std::string& line) {
  const auto space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  std::vector<std::string> fields;
  for (size_t i = 0; i < line.size();) {
    if (space(line[i])) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < line.size() && !space(line[end])) ++end;
    fields.emplace_back(line, i, end - i);
    i = end;
  }
  return fields;
}

// Open a text file given by option `flag` (e.g. "--labels"), or throw InputError saying why not:
// missing, a directory, unreadable.
std::ifstream OpenTextFile(const std::string& path, const std::string& what, const std::string& flag) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0)
    throw InputError("cannot open " + what + " '" + path + "': no such file; check " + flag);
  if (S_ISDIR(st.st_mode))
    throw InputError(what + " '" + path + "' is a directory; give a file to " + flag);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot open " + what + " '" + path + "': not readable; check " + flag);
  return in;
}

// Reject UTF-16/UTF-32 text (a byte-order mark, or NUL bytes in the first line), which would
// otherwise read as garbage names. UTF-8 with a BOM is fine: the BOM is stripped by NextLine.
void CheckEncoding(const std::string& first_line, const std::string& path, const std::string& what) {
  const bool utf16_bom = first_line.size() >= 2 &&
                         ((first_line[0] == '\xFF' && first_line[1] == '\xFE') ||
                          (first_line[0] == '\xFE' && first_line[1] == '\xFF'));
  if (utf16_bom || first_line.find('\0') != std::string::npos)
    throw InputError(what + " '" + path + "' is UTF-16 (or another wide encoding), not UTF-8 text; "
                     "convert it with `iconv -f UTF-16 -t UTF-8 " + path + " > " + path + ".utf8`");
}

// Read the next line without its line ending ("\n" or "\r\n") and, on line 1, a UTF-8 BOM.
bool NextLine(std::istream& in, std::string& line, size_t line_no) {
  if (!std::getline(in, line)) return false;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line_no == 1 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
  return true;
}

}  // namespace

LabelTable ReadLabelFile(const std::string& path, const std::string& column) {
  std::ifstream in = OpenTextFile(path, "label file", "--labels");
  std::string line;
  if (!std::getline(in, line))
    throw InputError("label file '" + path + "' is empty; expected a header line such as "
                     "'sample<TAB>pop<TAB>super_pop<TAB>gender', then one line per sample");
  CheckEncoding(line, path, "label file");
  in.clear();
  in.seekg(0);
  NextLine(in, line, 1);
  std::vector<std::string> header = SplitFields(line);
  if (header.empty())
    throw InputError("label file '" + path + "' line 1 is blank; expected a header line such as "
                     "'sample<TAB>pop<TAB>super_pop<TAB>gender'");
  size_t col = header.size();
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == column) col = i;
  if (col == header.size() || col == 0) {
    std::string known;
    for (size_t i = 1; i < header.size(); ++i) known += (i > 1 ? ", " : "") + header[i];
    throw InputError("label file '" + path + "' has no column '" + column +
                     "'; choose --label-column from: " + (known.empty() ? "(none)" : known));
  }
  LabelTable table;
  std::vector<size_t> line_of;  // line number of each row, for duplicate messages
  size_t line_no = 1;
  while (NextLine(in, line, ++line_no)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f = SplitFields(line);
    if (f.empty()) continue;
    if (f.size() <= col)
      throw InputError("label file '" + path + "' line " + std::to_string(line_no) + ": has " +
                       std::to_string(f.size()) + " fields, column '" + column + "' is field " +
                       std::to_string(col + 1));
    auto [it, inserted] = table.index.emplace(f[0], table.samples.size());
    if (!inserted)
      throw InputError("label file '" + path + "': sample '" + f[0] + "' appears twice (lines " +
                       std::to_string(line_of[it->second]) + " and " + std::to_string(line_no) +
                       "); keep one row per sample");
    table.samples.push_back(f[0]);
    table.labels.push_back(f[col]);
    line_of.push_back(line_no);
  }
  if (table.samples.empty())
    throw InputError("label file '" + path + "' has a header but no sample rows");
  return table;
}

std::vector<std::string> ReadSampleList(const std::string& path) {
  std::ifstream in = OpenTextFile(path, "samples file", "-S/--samples");
  std::vector<std::string> out;
  std::string line;
  size_t line_no = 0;
  while (NextLine(in, line, ++line_no)) {
    if (line_no == 1) CheckEncoding(line, path, "samples file");
    auto f = SplitFields(line);
    if (!f.empty()) out.push_back(f[0]);
  }
  return out;
}

}  // namespace snpflow::io
