#!/usr/bin/env python3
"""Flip single bytes of a small uncompressed BCF, one at a time, and ingest each (a quick
sanitizer smoke test of the VCF/BCF record path; the real fuzz harness lives elsewhere).

usage: scripts/flip_bytes.py SNPFLOW_BINARY WORKDIR [--jobs 2] [--step 1] [--header-step 7]

Simulates a small BCF with SNPFLOW_BINARY, decompresses it (htslib reads uncompressed BCF), then
for each byte offset writes a copy with that byte changed (XOR 0xFF, then 0x80, the int8 missing
sentinel) and runs `ingest` on it. Reports every run whose stderr has an AddressSanitizer or
UndefinedBehaviorSanitizer report, or that dies from a signal. Build SNPFLOW_BINARY with
-fsanitize=address,undefined for this to find anything.
"""
import argparse
import concurrent.futures
import os
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("snpflow")
    ap.add_argument("workdir")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--step", type=int, default=1, help="offset step inside the records")
    ap.add_argument("--header-step", type=int, default=7, help="offset step inside the header")
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    w = args.workdir
    subprocess.run([args.snpflow, "simulate", "-O", "b", "--samples", "12", "--snps", "30", "-q",
                    "--seed", "5", "-o", f"{w}/seed.bcf"], check=True)
    raw = subprocess.run(["bgzip", "-dc", f"{w}/seed.bcf"], check=True,
                         stdout=subprocess.PIPE).stdout
    # oneTBB's flow graph downcasts graph_task in a way UBSan's vptr check flags (third party).
    with open(f"{w}/ubsan.supp", "w") as f:
        f.write("vptr:_flow_graph_impl.h\n")
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0:abort_on_error=0",
               UBSAN_OPTIONS=f"print_stacktrace=1:halt_on_error=0:suppressions={w}/ubsan.supp")

    def run(job):
        offset, value = job
        data = bytearray(raw)
        data[offset] = value if value is not None else data[offset] ^ 0xFF
        path = f"{w}/flip_{offset}_{value}.bcf"
        with open(path, "wb") as f:
            f.write(data)
        r = subprocess.run([args.snpflow, "ingest", path, "--labels", f"{w}/seed.panel",
                            "--folds", "3", "-q", "--force", "-o", f"{w}/out_{offset}_{value}"],
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
        err = r.stderr.decode(errors="replace")
        bad = ("Sanitizer" in err or "runtime error:" in err or r.returncode < 0 or
               r.returncode > 2)
        os.remove(path)
        subprocess.run(["rm", "-rf", f"{w}/out_{offset}_{value}"])
        return offset, value, r.returncode, bad, err

    records_at = 9 + int.from_bytes(raw[5:9], "little")  # magic, l_text, header text
    offsets = list(range(0, records_at, args.header_step)) + list(range(records_at, len(raw), args.step))
    jobs = [(o, v) for o in offsets for v in (None, 0x80)]
    findings = 0
    codes = {}
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for offset, value, rc, bad, err in pool.map(run, jobs):
            codes[rc] = codes.get(rc, 0) + 1
            if bad:
                findings += 1
                print(f"== offset {offset} value {value}: exit {rc}\n{err[:3000]}", flush=True)
    print(f"{len(jobs)} runs over {len(raw)} bytes; exit codes {codes}; {findings} findings")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
