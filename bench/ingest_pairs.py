#!/usr/bin/env python3
"""Interleaved pairs: `bcftools view -Ou -o /dev/null` and `snpflow ingest` on one BCF, N times.

On a shared machine the peer's time moves between runs as much as snpflow's; running the two
back to back, N times, and taking the ratio within each pair (and the median over pairs) says more
than one run of each. Every snpflow run gets a fresh output directory (as a first ingest would),
a `sync` comes before each command, and wall times are taken to the microsecond here rather than
by /usr/bin/time (centiseconds: too coarse for 0.2 s runs). Peak RSS and CPU come from wait4().

  python3 bench/ingest_pairs.py BUILD_DIR WORK_DIR [N]      (N: pairs, default 15)

WORK_DIR is a directory that bench/ingest_bench.sh prepared (info.bcf, sim.panel), e.g.
/tmp/snpflow-bench-3450-40000. Extra snpflow options: SNPFLOW_ARGS="--blocks-in-flight 8".
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def run(cmd):
    """Wall seconds, CPU seconds, peak RSS MB and minor page faults of `cmd` (must succeed)."""
    os.sync()
    start = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    err = child.stderr.read().decode(errors="replace")
    child.stderr.close()
    if status != 0:
        sys.exit(f"{' '.join(cmd)} failed ({status}):\n{err}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, usage.ru_minflt


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    snpflow = os.path.join(os.path.abspath(sys.argv[1]), "snpflow")
    work = os.path.abspath(sys.argv[2])
    pairs = int(sys.argv[3]) if len(sys.argv) > 3 else 15
    threads = os.environ.get("THREADS", "2")
    extra = os.environ.get("SNPFLOW_ARGS", "").split()
    bcf, panel = os.path.join(work, "info.bcf"), os.path.join(work, "sim.panel")
    for f in (bcf, panel):
        if not os.path.exists(f):
            sys.exit(f"{f} is missing: run bench/ingest_bench.sh with WORK={work} first")
    out = tempfile.mkdtemp(prefix="ingest-pairs-")
    peer, ours = [], []
    try:
        for i in range(pairs):
            peer.append(run(["bcftools", "view", "--threads", threads, "-Ou", "-o", "/dev/null", bcf]))
            shutil.rmtree(os.path.join(out, "o"), ignore_errors=True)
            ours.append(run([snpflow, "ingest", bcf, "--labels", panel, "-o", os.path.join(out, "o"),
                             "--threads", threads, "-q"] + extra))
            print(f"pair {i + 1:2d}: bcftools {peer[-1][0]:.3f} s  snpflow {ours[-1][0]:.3f} s  "
                  f"ratio {ours[-1][0] / peer[-1][0]:.3f}", flush=True)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    ratios = [o[0] / p[0] for o, p in zip(ours, peer)]
    print(f"# {pairs} pairs, --threads {threads}, {os.path.basename(work)}")
    for name, r in (("bcftools view -Ou", peer), ("snpflow ingest", ours)):
        print(f"{name:18s} wall median {statistics.median(x[0] for x in r):.3f} s "
              f"[{min(x[0] for x in r):.3f}-{max(x[0] for x in r):.3f}]  "
              f"CPU {statistics.median(x[1] for x in r):.3f} s  "
              f"peak RSS {statistics.median(x[2] for x in r):.0f} MB  "
              f"minor faults {statistics.median(x[3] for x in r):.0f}")
    print(f"ratio per pair: median {statistics.median(ratios):.3f} "
          f"[{min(ratios):.3f}-{max(ratios):.3f}]; ratio of the medians "
          f"{statistics.median(x[0] for x in ours) / statistics.median(x[0] for x in peer):.3f}")


if __name__ == "__main__":
    main()
