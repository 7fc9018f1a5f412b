#pragma once
/// The manifest of an output directory (DIR/manifest.json): every file a later command reads,
/// with its size and XXH3-128 checksum, plus the ingest's cache key. Written last (the commit
/// marker of a run) and removed first when a run starts rewriting the directory, so a directory
/// whose manifest verifies holds one complete run. docs/dataset.md describes the format.
///
/// XXH3-128, not SHA-256: the checksum finds accidents (a flipped byte, an edited line, a
/// truncated copy, a half-finished rewrite), not an attacker, who could rewrite the manifest as
/// well. XXH3 hashes at memory speed (10+ GB/s), so every load verifies a 1 GB store in about
/// 0.1 s, where SHA-256 would take seconds.
#include <cstdint>
#include <string>
#include <vector>

namespace snpflow::io {

inline constexpr const char* kManifestFile = "manifest.json";
inline constexpr int kManifestVersion = 1;

/// One file of a manifest; `path` is relative to the manifest's directory.
struct ManifestEntry {
  std::string path;
  uint64_t size = 0;
  std::string xxh3_128;  // 32 lowercase hex digits
};

struct Manifest {
  /// "ingest", "train" or "export" (what wrote it; informational).
  std::string kind;
  int format_version = 0;
  /// The ingest's cache key (IngestFingerprint); "" when there is none.
  std::string key;
  std::vector<ManifestEntry> files;

  /// Return the entry for `path`, or nullptr.
  const ManifestEntry* Find(const std::string& path) const;
};

/// Return the XXH3-128 of a file's bytes as 32 hex digits and set `*size`; throws InputError
/// naming the file when it cannot be read.
std::string FileChecksum(const std::string& path, uint64_t* size);

/// Describe DIR/REL (size and checksum) for a manifest: DescribeFileAs(DIR/REL, REL).
ManifestEntry DescribeFile(const std::string& dir, const std::string& rel);
/// Describe the file at `path` (e.g. a temp file before its rename) as the manifest entry `rel`.
/// Only for a file this process has just written and nothing else changes (it is mapped, so a
/// file shortened meanwhile would be a SIGBUS); `verify` and loads use FileChecksum.
ManifestEntry DescribeFileAs(const std::string& path, const std::string& rel);

/// Return the manifest's "files" entries as a JSON array (one object per line, `indent` spaces
/// before each), for writers that embed them in a larger manifest (export).
std::string ManifestFilesJson(const std::vector<ManifestEntry>& files, int indent);

/// Write DIR/manifest.json atomically: format version, kind, key and `files`.
void WriteManifest(const std::string& dir, const Manifest& manifest);

/// Remove DIR/manifest.json (if present) and fsync DIR, so that a run killed from now on leaves
/// a directory without a commit marker. Throws InputError when it cannot be removed.
void RemoveManifest(const std::string& dir);

/// Read DIR/manifest.json. `rerun` is the command that rebuilds DIR ("snpflow ingest ...
/// --force"), named in the messages. Throws InputError when it is missing (an older snpflow, or
/// a run killed before its end) and FormatError when it is malformed.
Manifest ReadManifest(const std::string& dir, const std::string& rerun);

/// Check every file the manifest lists (size, then checksum) and that each of `required` is
/// listed. Throws FormatError naming the first file that differs, e.g. "'DIR/samples.tsv' does
/// not match its checksum in DIR/manifest.json (edited or corrupted?); re-run `RERUN`".
void VerifyManifest(const std::string& dir, const Manifest& manifest,
                    const std::vector<std::string>& required, const std::string& rerun);

/// ReadManifest + VerifyManifest; returns the manifest.
Manifest VerifyDirectory(const std::string& dir, const std::vector<std::string>& required,
                         const std::string& rerun);

/// Fsync a directory (after a rename or unlink in it). Throws InputError naming it.
void SyncDir(const std::string& dir);

}  // namespace snpflow::io
