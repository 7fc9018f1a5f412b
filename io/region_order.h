#pragma once
/// The order of a -r/--regions list against the order of the file's records. VcfSource reads
/// the regions one after the other, so a list out of file order (`-r 2,1`) would give records out
/// of order; this check says so up front, naming -r, instead of an `unsorted` record error.
#include <htslib/hts.h>
#include <htslib/tbx.h>
#include <htslib/vcf.h>

#include <string>
#include <vector>

namespace snpflow::io {

/// Throws InputError naming -r/--regions when `regions` (as given, split at commas) is not in the
/// file order of `path`: contigs in the order their records come in the file (taken from the
/// index: the file offset of each contig's first record), and on one contig, start positions
/// that never decrease. Overlapping regions in that order are fine (each record is read once).
/// A region on a contig without records, or one that does not parse, is not checked here (the
/// reader skips or rejects it). `idx` is the BCF index or `tbx` the tabix index (one is null).
void CheckRegionOrder(const std::string& path, const std::vector<std::string>& regions,
                      bcf_hdr_t* hdr, hts_idx_t* idx, tbx_t* tbx);

}  // namespace snpflow::io
