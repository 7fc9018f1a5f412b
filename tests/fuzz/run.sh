#!/usr/bin/env bash
# Run each libFuzzer target of BUILD_DIR (a SNPFLOW_FUZZ=ON build, see `make fuzz`) for RUNS
# executions, starting from the checked-in seeds in tests/fuzz/corpus/. New inputs go to
# BUILD_DIR/fuzz-corpus/<target> (the checked-in seeds are never modified); a crash is written to
# BUILD_DIR/fuzz-findings/<target>/ and stops the script with a non-zero status.
# Usage: tests/fuzz/run.sh BUILD_DIR [RUNS] [TARGET...]
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR [RUNS] [TARGET...]}
runs=${2:-100000}
shift $(( $# < 2 ? $# : 2 ))
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(vcf store npy)
src=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$build" && pwd)
for t in "${targets[@]}"; do
  case $t in
    vcf) seeds=$src/corpus/vcf ;;
    store) seeds=$src/corpus/store ;;
    npy) seeds=$src/corpus/npy ;;
    *) echo "unknown target $t (vcf, store, npy)" >&2; exit 2 ;;
  esac
  corpus=$build/fuzz-corpus/$t
  findings=$build/fuzz-findings/$t
  mkdir -p "$corpus" "$findings"
  log=$build/fuzz-$t.log
  echo "fuzz_$t: $runs runs from $seeds (log: $log)"
  # A single allocation above 256 MB from these small inputs is a finding (bounded loading);
  # -rss_limit_mb likewise for the whole process. libFuzzer's -malloc_limit_mb works through
  # malloc hooks that it installs only with -detect_leaks=1, so the main run, which has leak
  # checks off (they cost 30x in speed; the corpus it grew is replayed with them on below), sets
  # the limit in ASan itself (max_allocation_size_mb: a larger request is an ASan report).
  # -timeout=5: any input slower than that is a finding to look at (the seeds take milliseconds).
  common=(-max_len=65536 -timeout=5 -rss_limit_mb=2048 -malloc_limit_mb=256
          -print_final_stats=1 -artifact_prefix="$findings/")
  if ! ASAN_OPTIONS="max_allocation_size_mb=256${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
      "$build/tests/fuzz/fuzz_$t" -runs="$runs" -detect_leaks=0 "${common[@]}" \
      "$corpus" "$seeds" >"$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz_$t: FINDING (inputs in $findings)" >&2
    exit 1
  fi
  grep -E "^Done [0-9]+ runs|stat::number_of_executed_units|stat::slowest_unit_time_sec|stat::peak_rss_mb" "$log" || true
  grep -E "^#[0-9]+[[:space:]]+DONE" "$log" | tail -1 || true  # coverage (cov: edges, ft: features) at the end
  if ! "$build/tests/fuzz/fuzz_$t" -runs=0 -detect_leaks=1 "${common[@]}" \
      "$corpus" "$seeds" >"$log.leaks" 2>&1; then
    tail -40 "$log.leaks"
    echo "fuzz_$t: LEAK FINDING (inputs in $findings)" >&2
    exit 1
  fi
  echo "fuzz_$t: corpus of $(ls "$corpus" | wc -l) inputs replayed with leak checks: no leak"
done
