#pragma once
// Private to io/ and stages/decode_gt.cc: the raw htslib records a VariantBlock carries.
#include <htslib/vcf.h>

#include <memory>
#include <string>
#include <vector>

namespace snpflow::io {

/// The header shared by every block of one source; lives as long as any block refers to it.
struct VcfHeader {
  bcf_hdr_t* hdr = nullptr;
  std::string path;
  int gt_id = -1;  // header id of FORMAT/GT, -1 when the header declares none
  ~VcfHeader() {
    if (hdr != nullptr) bcf_hdr_destroy(hdr);
  }
};

struct RawRecords {
  std::shared_ptr<const VcfHeader> header;
  std::vector<bcf1_t*> records;
  ~RawRecords() {
    for (bcf1_t* r : records) bcf_destroy(r);
  }
};

}  // namespace snpflow::io
