#!/usr/bin/env python3
"""Interleaved pairs: `bcftools view -Ou -o /dev/null` and `snpflow ingest` on one BCF, N times.

On a shared machine the peer's time moves between runs as much as snpflow's; running the two
back to back, N times, and taking the ratio within each pair (and the median over pairs) says more
than one run of each. Every snpflow run gets a fresh output directory (as a first ingest would),
a `sync` comes before each command, and wall times are taken to the microsecond here rather than
by /usr/bin/time (centiseconds: too coarse for 0.2 s runs). Peak RSS and CPU come from wait4().

  python3 bench/ingest_pairs.py BUILD_DIR WORK_DIR [N [OTHER_BUILD_DIR ...]]   (N: default 15)

WORK_DIR is a directory that bench/ingest_bench.sh prepared (info.bcf, sim.panel), e.g.
/tmp/snpflow-bench-3450-40000. Extra snpflow options: SNPFLOW_ARGS="--blocks-in-flight 8";
INPUT=info.vcf.gz for the VCF.gz file. With OTHER_BUILD_DIRs (e.g. a `git worktree` of an older
commit, built), each round runs bcftools, then every build, and each build gets its own lines,
with the median of ingest.json's finalize_seconds (the writes after the graph): an A/B under the
same machine state, which on a shared VM moves more than most changes do.
"""
import json
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
    builds = [os.path.abspath(sys.argv[1])] + [os.path.abspath(d) for d in sys.argv[4:]]
    work = os.path.abspath(sys.argv[2])
    pairs = int(sys.argv[3]) if len(sys.argv) > 3 else 15
    threads = os.environ.get("THREADS", "2")
    extra = os.environ.get("SNPFLOW_ARGS", "").split()
    data = os.path.join(work, os.environ.get("INPUT", "info.bcf"))
    panel = os.path.join(work, "sim.panel")
    for f in [data, panel] + [os.path.join(b, "snpflow") for b in builds]:
        if not os.path.exists(f):
            sys.exit(f"{f} is missing: run bench/ingest_bench.sh with WORK={work} first, and build")
    out = tempfile.mkdtemp(prefix="ingest-pairs-")
    peer, ours, finalize = [], [[] for _ in builds], [[] for _ in builds]
    try:
        for i in range(pairs):
            peer.append(run(["bcftools", "view", "--threads", threads, "-Ou", "-o", "/dev/null",
                             data]))
            line = f"pair {i + 1:2d}: bcftools {peer[-1][0]:.3f} s"
            for k, build in enumerate(builds):
                shutil.rmtree(os.path.join(out, "o"), ignore_errors=True)
                ours[k].append(run([os.path.join(build, "snpflow"), "ingest", data, "--labels",
                                    panel, "-o", os.path.join(out, "o"), "--threads", threads,
                                    "-q"] + extra))
                with open(os.path.join(out, "o", "ingest.json")) as summary:
                    finalize[k].append(json.load(summary)["finalize_seconds"])
                line += (f"  snpflow{'' if k == 0 else f' [{k}]'} {ours[k][-1][0]:.3f} s  "
                         f"ratio {ours[k][-1][0] / peer[-1][0]:.3f}")
            print(line, flush=True)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    print(f"# {pairs} pairs, --threads {threads}, {os.path.basename(work)}")

    def describe(name, r):
        print(f"{name:18s} wall median {statistics.median(x[0] for x in r):.3f} s "
              f"[{min(x[0] for x in r):.3f}-{max(x[0] for x in r):.3f}]  "
              f"CPU {statistics.median(x[1] for x in r):.3f} s  "
              f"peak RSS {statistics.median(x[2] for x in r):.0f} MB  "
              f"minor faults {statistics.median(x[3] for x in r):.0f}")

    describe("bcftools view -Ou", peer)
    for k, build in enumerate(builds):
        if k > 0:
            print(f"# [{k}] {build}")
        describe("snpflow ingest", ours[k])
        ratios = [o[0] / p[0] for o, p in zip(ours[k], peer)]
        print(f"ratio per pair: median {statistics.median(ratios):.3f} "
              f"[{min(ratios):.3f}-{max(ratios):.3f}]; ratio of the medians "
              f"{statistics.median(x[0] for x in ours[k]) / statistics.median(x[0] for x in peer):.3f}"
              f"; finalize median {statistics.median(finalize[k]) * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
