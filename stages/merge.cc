#include "stages/merge.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <utility>

#include "io/atomic_file.h"
#include "io/dataset.h"
#include "io/dir_lock.h"
#include "io/manifest.h"
#include "pipeline/error.h"
#include "pipeline/json.h"
#include "stages/fold_stats.h"
#include "stages/ingest_sinks.h"

namespace snpflow {

namespace {

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot read " + path + "; is this an output directory of "
                            "`snpflow ingest`?");
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The JSON string value of `key` in ingest.json's one-line object (which JsonString wrote).
std::string JsonStringField(const std::string& text, const std::string& key,
                            const std::string& path) {
  const std::string tag = "\"" + key + "\": \"";
  size_t at = text.find(tag);
  if (at == std::string::npos) throw FormatError(path + ": no \"" + key + "\" string");
  std::string value;
  for (size_t i = at + tag.size(); i < text.size(); ++i) {
    if (text[i] == '"') return value;
    if (text[i] == '\\' && i + 1 < text.size()) ++i;
    value += text[i];
  }
  throw FormatError(path + ": unterminated \"" + key + "\"");
}

// The unsigned integer value of `key`.
uint64_t JsonUintField(const std::string& text, const std::string& key, const std::string& path) {
  const std::string tag = "\"" + key + "\": ";
  size_t at = text.find(tag);
  if (at == std::string::npos) throw FormatError(path + ": no \"" + key + "\" number");
  return std::stoull(text.substr(at + tag.size()));
}

// The "skipped" object: reason -> count.
std::map<std::string, uint64_t> JsonSkipped(const std::string& text, const std::string& path) {
  std::map<std::string, uint64_t> out;
  size_t at = text.find("\"skipped\": {");
  if (at == std::string::npos) throw FormatError(path + ": no \"skipped\" object");
  size_t end = text.find('}', at);
  std::string body = text.substr(at + 12, end - at - 12);
  size_t pos = 0;
  while ((pos = body.find('"', pos)) != std::string::npos) {
    size_t close = body.find('"', pos + 1);
    std::string reason = body.substr(pos + 1, close - pos - 1);
    size_t colon = body.find(':', close);
    out[reason] = std::stoull(body.substr(colon + 1));
    pos = body.find(',', colon);
    if (pos == std::string::npos) break;
  }
  return out;
}

// The fingerprint fields that must agree between shards: all but the input file, the region
// and the label/sample files' identity (path, size, mtime differ between machines; their
// contents are compared through the sample tables).
std::string ComparableOptions(const std::string& fingerprint) {
  std::string out;
  size_t pos = 0;
  while (pos <= fingerprint.size()) {
    size_t bar = fingerprint.find('|', pos);
    if (bar == std::string::npos) bar = fingerprint.size();
    std::string field = fingerprint.substr(pos, bar - pos);
    bool skip = false;
    for (const char* k : {"input=", "regions=", "labels=", "samples="})
      skip = skip || field.rfind(k, 0) == 0;
    if (!skip) out += field + "|";
    pos = bar + 1;
  }
  return out;
}

// The zstd level the shards' stores were written with ([store] zstd-level), or the default.
int ZstdLevel(const std::string& fingerprint) {
  size_t at = fingerprint.find("|store.zstd-level=");
  return at == std::string::npos ? StoreOptions{}.zstd_level
                                 : std::stoi(fingerprint.substr(at + 18));
}

void CheckSameSamples(const SampleTable& a, const SampleTable& b, const std::string& first,
                      const std::string& shard) {
  auto fail = [&](const std::string& what) {
    throw InputError("merge: shard " + shard + " has " + what + " than " + first +
                     "; every shard must be an ingest of the same samples, label file, folds "
                     "and seed");
  };
  if (a.ids != b.ids) fail("other samples (or another sample order)");
  if (a.class_names != b.class_names) fail("other classes");
  if (a.label != b.label) fail("other labels");
  if (a.folds != b.folds) fail("another number of folds");
  if (a.partition != b.partition) fail("other fold partitions (another --seed?)");
}

std::string SiteName(const io::SiteInfo& s) { return s.chrom + ":" + std::to_string(s.pos); }

}  // namespace

MergeSummary MergeShards(const std::vector<std::string>& shards, const std::string& output_dir,
                         bool quiet) {
  if (shards.size() < 2) throw ConfigError("merge: give at least two shard directories");
  MergeSummary summary;
  SampleTable samples;
  std::string options, fingerprint0;
  std::unique_ptr<io::PackedStore> store;
  std::unique_ptr<GenotypeCounts> counts;
  std::set<std::string> closed_chroms;  // chromosomes left behind by an earlier shard
  io::SiteInfo last;
  std::string last_shard;
  std::vector<std::string> inputs, regions;
  std::map<std::string, uint64_t> skipped;
  uint64_t kept = 0;
  std::vector<uint8_t> codes, row;

  for (const std::string& shard : shards) {
    const std::string json_path = shard + "/ingest.json";
    const std::string json = ReadText(json_path);
    const std::string fingerprint = JsonStringField(json, "fingerprint", json_path);
    Dataset data = LoadDataset(shard);
    CheckDataset(data, "merge: shard " + shard);
    if (summary.shards == 0) {
      samples = data.samples;
      fingerprint0 = fingerprint;
      options = ComparableOptions(fingerprint);
      store = std::make_unique<io::PackedStore>(samples.ids);
      counts = std::make_unique<GenotypeCounts>(samples.folds, samples.num_classes());
      codes.resize(samples.size());
    } else {
      CheckSameSamples(samples, data.samples, shards.front(), shard);
      if (ComparableOptions(fingerprint) != options)
        throw InputError("merge: shard " + shard + " was ingested with other options than " +
                         shards.front() + " (" + json_path + " fingerprint '" + fingerprint +
                         "' vs '" + fingerprint0 +
                         "'); ingest every region with the same filters and stages");
    }
    const auto& sites = data.store.sites();
    if (!sites.empty() && summary.shards > 0 && summary.variants > 0) {
      const io::SiteInfo& first = sites.front();
      const bool overlap = first.chrom == last.chrom && first.pos <= last.pos;
      if (overlap || closed_chroms.count(first.chrom))
        throw InputError("merge: shard " + shard + " starts at " + SiteName(first) +
                         ", not after " + SiteName(last) + " where " + last_shard +
                         " ends: the regions " + (overlap ? "overlap or " : "") +
                         "are out of order; give the shards in genome order, each region once");
    }
    // Append the shard's variants: each variant's codes across samples from the packed rows.
    const size_t n = samples.size(), s = sites.size(), row_bytes = data.store.row_bytes();
    std::vector<uint16_t> count_row(data.counts.stride());
    std::vector<uint8_t> rows(n * row_bytes);
    for (size_t i = 0; i < n; ++i) data.store.ReadRow(i, rows.data() + i * row_bytes);
    for (size_t j = 0; j < s; ++j) {
      const size_t byte = j / 4, shift = 2 * (j % 4);
      for (size_t i = 0; i < n; ++i) codes[i] = (rows[i * row_bytes + byte] >> shift) & 3;
      store->AppendVariant(sites[j], codes.data());
      data.counts.Row(j, count_row.data());
      counts->Append(count_row.data());
      if (j + 1 < s && sites[j + 1].chrom != sites[j].chrom) closed_chroms.insert(sites[j].chrom);
    }
    if (!sites.empty()) {
      if (summary.variants > 0 && sites.front().chrom != last.chrom)
        closed_chroms.insert(last.chrom);
      last = sites.back();
      last_shard = shard;
    }
    inputs.push_back(JsonStringField(json, "input", json_path));
    regions.push_back(JsonStringField(json, "regions", json_path));
    summary.records += JsonUintField(json, "records", json_path);
    kept += JsonUintField(json, "kept", json_path);
    for (const auto& [reason, k] : JsonSkipped(json, json_path)) skipped[reason] += k;
    summary.variants += s;
    ++summary.shards;
    if (!quiet)
      std::fprintf(stderr, "[merge] %s: %zu variants%s\n", shard.c_str(), s,
                   s ? (" " + SiteName(sites.front()) + ".." + SiteName(sites.back())).c_str()
                     : "");
  }
  store->Finish();
  if (summary.variants == 0) throw InputError("merge: the shards hold no variants");

  // The same writers as `snpflow ingest` (store sink, ingest runner), so the bytes agree, under
  // the directory's lock, with the manifest removed first and written last (the commit marker).
  io::DirLock lock = io::DirLock::Acquire(output_dir, "snpflow merge");
  io::RemoveManifest(output_dir);
  const std::vector<io::ManifestEntry> described =
      WriteDataFiles(*store, *counts, output_dir, ZstdLevel(fingerprint0));
  WriteSampleTable(samples, output_dir);
  auto joined = [](const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : ",") + p;
    return out;
  };
  JsonObject json;
  json.Add("input", joined(inputs))  // the shards' inputs and regions, in merge order
      .Add("regions", joined(regions))
      .Add("samples", static_cast<uint64_t>(samples.size()))
      .Add("classes", static_cast<uint64_t>(samples.num_classes()))
      .Add("folds", samples.folds)
      .Add("records", summary.records)
      .Add("kept", kept)
      .Add("skipped", skipped)
      .Add("shards", summary.shards)
      // Never equal to an ingest's fingerprint: `ingest -o` into a merged directory redoes it.
      .Add("fingerprint", "merged|" + options);
  io::WriteFileAtomic(output_dir + "/ingest.json", json.str() + "\n");
  // No cache key: a merged set never matches an ingest's, so `ingest -o DIR` redoes it.
  io::WriteIngestManifest(output_dir, "", samples.folds, described);
  return summary;
}

}  // namespace snpflow
