#!/usr/bin/env bash
# Cost of the manifest check: snpflow verify (XXH3-128) against md5sum and sha256sum over the
# same 1 GiB file in the page cache, three rounds. Run from the repository root after a build:
#   bench/verify_bench.sh [build/snpflow] [work dir]
# Only the ratios are meaningful on a shared machine (docs/dataset.md).
set -euo pipefail
SNPFLOW=$(realpath "${1:-build/snpflow}")
WORK=${2:-$(mktemp -d)}
cd "$WORK"
[ -f big.bin ] || head -c 1073741824 /dev/urandom > big.bin
cat big.bin > /dev/null
# A one-entry manifest with a wrong checksum: verify hashes the whole file, then reports it.
printf '{"format_version": 1, "files": [{"path": "big.bin", "size": 1073741824, "xxh3_128": "0"}]}\n' \
  > manifest.json
for round in 1 2 3; do
  /usr/bin/time -f "round $round snpflow verify (XXH3-128) %e s" "$SNPFLOW" verify -q . 2>&1 |
    grep -v "does not match" || true
  /usr/bin/time -f "round $round md5sum %e s" md5sum big.bin > /dev/null
  /usr/bin/time -f "round $round sha256sum %e s" sha256sum big.bin > /dev/null
done
