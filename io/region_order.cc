#include "io/region_order.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/error.h"

namespace snpflow::io {
namespace {

int BcfContigId(void* hdr, const char* name) {
  return bcf_hdr_name2id(static_cast<const bcf_hdr_t*>(hdr), name);
}

int TabixContigId(void* tbx, const char* name) {
  return tbx_name2id(static_cast<tbx_t*>(tbx), name);
}

// Where a region's records lie in the file: the virtual offset of its contig's first record,
// then its 0-based start. Regions read in increasing keys give records in file order.
struct RegionKey {
  uint64_t contig_offset = std::numeric_limits<uint64_t>::max();
  hts_pos_t begin = 0;
  bool known = false;  // false: no records on its contig, or it does not parse
  bool operator<(const RegionKey& o) const {
    return contig_offset != o.contig_offset ? contig_offset < o.contig_offset : begin < o.begin;
  }
};

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) (out += out.empty() ? "" : ",") += s;
  return out;
}

}  // namespace

void CheckRegionOrder(const std::string& path, const std::vector<std::string>& regions,
                      bcf_hdr_t* hdr, hts_idx_t* idx, tbx_t* tbx) {
  if (regions.size() < 2) return;
  std::map<int, uint64_t> contig_offset;  // tid -> offset of its first record (max: none)
  auto first_offset = [&](int tid) {
    auto [it, inserted] = contig_offset.emplace(tid, std::numeric_limits<uint64_t>::max());
    if (!inserted) return it->second;
    std::unique_ptr<hts_itr_t, decltype(&hts_itr_destroy)> itr(
        tbx != nullptr ? tbx_itr_queryi(tbx, tid, 0, HTS_POS_MAX)
                       : bcf_itr_queryi(idx, tid, 0, HTS_POS_MAX),
        &hts_itr_destroy);
    // hts_itr_query sorts the chunks by offset: the first one starts at the contig's first record.
    if (itr != nullptr && itr->n_off > 0) it->second = itr->off[0].u;
    return it->second;
  };
  std::vector<RegionKey> keys;
  for (const auto& region : regions) {
    RegionKey key;
    int tid = -1;
    hts_pos_t end = 0;
    const char* parsed =
        tbx != nullptr
            ? hts_parse_region(region.c_str(), &tid, &key.begin, &end, &TabixContigId, tbx,
                               HTS_PARSE_THOUSANDS_SEP)
            : hts_parse_region(region.c_str(), &tid, &key.begin, &end, &BcfContigId, hdr,
                               HTS_PARSE_THOUSANDS_SEP);
    if (parsed != nullptr && tid >= 0) {
      key.contig_offset = first_offset(tid);
      key.known = key.contig_offset != std::numeric_limits<uint64_t>::max();
    }
    keys.push_back(key);
  }
  // The first region that starts before a region listed earlier.
  size_t latest = regions.size();  // the known region with the largest key so far
  for (size_t i = 0; i < regions.size(); ++i) {
    if (!keys[i].known) continue;
    if (latest != regions.size() && keys[i] < keys[latest]) {
      std::vector<size_t> order(regions.size());
      for (size_t j = 0; j < order.size(); ++j) order[j] = j;
      std::stable_sort(order.begin(), order.end(),
                       [&](size_t a, size_t b) { return keys[a] < keys[b]; });
      std::vector<std::string> sorted;
      for (size_t j : order) sorted.push_back(regions[j]);
      throw InputError("-r/--regions lists '" + regions[i] + "' after '" + regions[latest] +
                       "', but '" + regions[i] + "' comes first in '" + path + "' (regions are "
                       "read in the order given, and records must stay in file order); list the "
                       "regions in file order: -r " + Join(sorted));
    }
    latest = i;
  }
}

}  // namespace snpflow::io
