#include "io/vcf_source.h"

#include <htslib/bgzf.h>
#include <htslib/hts.h>
#include <htslib/kstring.h>
#include <htslib/tbx.h>
#include <sys/stat.h>

#include <sstream>

#include "io/vcf_records_internal.h"
#include "pipeline/error.h"

namespace snpflow::io {

struct VcfSource::Impl {
  htsFile* fp = nullptr;
  std::shared_ptr<VcfHeader> header;
  // Region iteration (-r): an index and one iterator per region, walked in order.
  hts_idx_t* idx = nullptr;
  tbx_t* tbx = nullptr;
  std::vector<std::string> regions;
  size_t region_i = 0;
  hts_itr_t* itr = nullptr;
  kstring_t line = {0, 0, nullptr};
  bool vcf_text = false;
  std::string last_site;  // "chr:pos" of the last good record, for error messages

  ~Impl() {
    if (itr != nullptr) hts_itr_destroy(itr);
    if (tbx != nullptr) tbx_destroy(tbx);
    if (idx != nullptr) hts_idx_destroy(idx);
    free(line.s);
    if (fp != nullptr) hts_close(fp);
  }
};

namespace {

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(s);
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

}  // namespace

std::unique_ptr<VcfSource> VcfSource::Open(const VcfSourceOptions& options) {
  // Our own messages name the file and record; htslib's would only repeat them less clearly.
  hts_set_log_level(HTS_LOG_OFF);
  std::unique_ptr<VcfSource> src(new VcfSource());
  src->options_ = options;
  src->impl_ = std::make_unique<Impl>();
  Impl& im = *src->impl_;
  const std::string& path = options.path;
  if (path != "-") {
    struct stat st;
    if (stat(path.c_str(), &st) != 0)
      throw InputError("cannot open '" + path + "': no such file; check the input path");
    src->file_size_ = static_cast<uint64_t>(st.st_size);
    if (st.st_size == 0)
      throw FormatError("'" + path + "' is empty; expected a VCF, VCF.gz or BCF file");
  }
  im.fp = hts_open(path.c_str(), "r");
  if (im.fp == nullptr) throw InputError("cannot open '" + path + "': not readable by htslib");
  const htsFormat* fmt = hts_get_format(im.fp);
  if (fmt->category != variant_data)
    throw FormatError("'" + path + "' is not a VCF or BCF file (htslib sees " +
                      std::string(hts_format_description(fmt)) + ")");
  im.vcf_text = fmt->format == vcf;
  if (options.threads > 0) hts_set_threads(im.fp, options.threads);
  im.header = std::make_shared<VcfHeader>();
  im.header->path = path;
  im.header->hdr = bcf_hdr_read(im.fp);
  if (im.header->hdr == nullptr)
    throw FormatError("'" + path + "': cannot read the VCF header (empty, truncated or malformed); "
                      "check the file with `bcftools view -h`");
  if (!options.samples_file.empty()) {
    int r = bcf_hdr_set_samples(im.header->hdr, options.samples_file.c_str(), /*is_file=*/1);
    if (r < 0)
      throw InputError("cannot read samples file '" + options.samples_file + "' (-S)");
    if (r > 0)
      throw InputError("samples file '" + options.samples_file + "': sample #" + std::to_string(r) +
                       " is not in '" + path + "'; fix the list or use --force-samples in bcftools");
  }
  im.header->gt_id = bcf_hdr_id2int(im.header->hdr, BCF_DT_ID, "GT");
  if (im.header->gt_id < 0 || !bcf_hdr_idinfo_exists(im.header->hdr, BCF_HL_FMT, im.header->gt_id))
    throw FormatError("'" + path + "' has no FORMAT/GT field in its header; snpflow needs diploid "
                      "genotype calls (GT)");
  int n = bcf_hdr_nsamples(im.header->hdr);
  if (n == 0) throw FormatError("'" + path + "' has no samples (a sites-only VCF); need genotypes");
  for (int i = 0; i < n; ++i) src->sample_ids_.push_back(im.header->hdr->samples[i]);

  if (!options.regions.empty()) {
    if (path == "-") throw InputError("-r/--regions needs an indexed file, not stdin");
    im.regions = SplitComma(options.regions);
    if (im.vcf_text) {
      im.tbx = tbx_index_load(path.c_str());
      if (im.tbx == nullptr)
        throw InputError("-r/--regions needs an index for '" + path + "'; create one with "
                         "`bcftools index -t " + path + "` (bgzipped VCF only)");
    } else {
      im.idx = bcf_index_load(path.c_str());
      if (im.idx == nullptr)
        throw InputError("-r/--regions needs an index for '" + path + "'; create one with "
                         "`bcftools index " + path + "`");
    }
  }
  return src;
}

VcfSource::~VcfSource() = default;

uint64_t VcfSource::bytes_read() const {
  if (impl_->fp->format.compression == bgzf || impl_->fp->format.format == bcf)
    return static_cast<uint64_t>(bgzf_tell(impl_->fp->fp.bgzf) >> 16);
  return 0;
}

bool VcfSource::ReadBlock(VariantBlock& block) {
  Impl& im = *impl_;
  auto raw = std::make_shared<RawRecords>();
  raw->header = im.header;
  block.variants.clear();
  bcf_hdr_t* hdr = im.header->hdr;
  while (raw->records.size() < options_.block_variants) {
    bcf1_t* rec = bcf_init();
    int ret;
    if (im.regions.empty()) {
      ret = bcf_read(im.fp, hdr, rec);
    } else {
      ret = -1;
      while (im.region_i <= im.regions.size()) {
        if (im.itr == nullptr) {
          if (im.region_i == im.regions.size()) break;
          const std::string& reg = im.regions[im.region_i];
          im.itr = im.vcf_text ? tbx_itr_querys(im.tbx, reg.c_str())
                               : bcf_itr_querys(im.idx, hdr, reg.c_str());
          if (im.itr == nullptr) {
            // A contig absent from the index has no records: bcftools skips it too.
            if (bcf_hdr_name2id(hdr, reg.substr(0, reg.find(':')).c_str()) < 0 &&
                (im.vcf_text ? tbx_name2id(im.tbx, reg.substr(0, reg.find(':')).c_str()) < 0 : true)) {
              ++im.region_i;
              continue;
            }
            throw InputError("'" + path() + "': cannot parse region '" + reg + "' (-r)");
          }
        }
        if (im.vcf_text) {
          ret = tbx_itr_next(im.fp, im.tbx, im.itr, &im.line);
          if (ret >= 0) ret = vcf_parse(&im.line, hdr, rec) < 0 ? -2 : 0;
        } else {
          ret = bcf_itr_next(im.fp, im.itr, rec);
          // Iterators bypass bcf_read's sample subsetting (-S); apply it here (htslib vcf.h).
          if (ret >= 0 && hdr->keep_samples != nullptr && bcf_subset_format(hdr, rec) != 0) ret = -2;
        }
        if (ret == -1) {
          hts_itr_destroy(im.itr);
          im.itr = nullptr;
          ++im.region_i;
          continue;
        }
        break;
      }
    }
    if (ret == -1) {
      bcf_destroy(rec);
      break;
    }
    uint64_t record_no = records_ + 1;
    if (ret < -1 || rec->errcode != 0) {
      bcf_destroy(rec);
      std::string where = "record " + std::to_string(record_no);
      if (im.vcf_text) where += " (data line " + std::to_string(record_no) + " after the header)";
      if (!im.last_site.empty()) where += ", after " + im.last_site;
      throw FormatError("'" + path() + "': " + where +
                        " is malformed or the file is truncated/corrupt; check it with "
                        "`bcftools view " + path() + " > /dev/null`");
    }
    if (rec->n_sample != static_cast<uint32_t>(sample_ids_.size())) {
      std::string where = std::string(bcf_hdr_id2name(hdr, rec->rid)) + ":" + std::to_string(rec->pos + 1);
      size_t n = rec->n_sample;
      bcf_destroy(rec);
      throw FormatError("'" + path() + "': record " + std::to_string(record_no) + " (" + where +
                        ") has " + std::to_string(n) + " sample columns but the header has " +
                        std::to_string(sample_ids_.size()) + "; the line is malformed or cut short");
    }
    ++records_;
    im.last_site = std::string(bcf_hdr_id2name(hdr, rec->rid)) + ":" + std::to_string(rec->pos + 1);
    Variant v;
    v.record = record_no;
    block.variants.push_back(std::move(v));
    raw->records.push_back(rec);
  }
  if (raw->records.empty()) return false;
  block.n_samples = sample_ids_.size();
  block.dropped.assign(block.variants.size(), nullptr);
  block.raw = raw;
  return true;
}

}  // namespace snpflow::io
