#!/usr/bin/env bash
# Ingest benchmark: simulate 3,450 samples x SNPS (default 40,000; SNPS=315000 for full 1000
# Genomes size), add 1000 Genomes-like INFO fields (bcftools +fill-tags: AN, AC, AF, MAF, HWE,
# ExcHet, then AF/AC/AN per super-population), then time in the same run, on BCF and VCF.gz:
#   bcftools view -Ou -o /dev/null  (decode only: the floor for any VCF/BCF reader)
#   plink2 --make-pgen              (the usual genotype import)
#   snpflow ingest                  (decode, filter, count, store, counts; default fast paths)
#   snpflow ingest --decode-gt.vcf-parser htslib   (htslib's vcf_parse / bcf_unpack: reference)
# Prints wall and CPU seconds, peak RSS (/usr/bin/time -v), bytes written, the ratios to bcftools
# and plink2 on the same input, and snpflow's per-stage times from ingest.json. REPEAT=2 runs the
# whole set twice (timings on a shared machine are noisy: compare ratios within one run) and ends
# with the medians over the runs. Run it on an otherwise idle machine, not under nice: it
# measures wall time.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SNPFLOW=$(realpath "$BUILD/snpflow")
SAMPLES=${SAMPLES:-3450}
SNPS=${SNPS:-40000}
THREADS=${THREADS:-2}
REPEAT=${REPEAT:-1}
WORK=${WORK:-/tmp/snpflow-bench-$SAMPLES-$SNPS}
mkdir -p "$WORK"
cd "$WORK"

if [ ! -s sim.bcf ]; then
  echo "simulating $SAMPLES x $SNPS ..." >&2
  "$SNPFLOW" simulate --samples "$SAMPLES" --snps "$SNPS" --chroms 22 --seed 1 -O b -o sim.bcf --threads "$THREADS" -q
fi
if [ ! -s info.bcf ]; then
  echo "adding 1000 Genomes-like INFO fields ..." >&2
  awk 'NR > 1 { print $1 "\t" $3 }' sim.panel > super_pops.txt
  bcftools +fill-tags sim.bcf -Ou -- -t AN,AC,AF,MAF,HWE,ExcHet |
    bcftools +fill-tags -Ob -o info.bcf.tmp -- -S super_pops.txt -t AF,AC,AN
  mv info.bcf.tmp info.bcf
fi
if [ ! -s info.vcf.gz ]; then
  echo "writing info.vcf.gz ..." >&2
  bcftools view --threads "$THREADS" -Oz -o info.vcf.gz.tmp info.bcf
  mv info.vcf.gz.tmp info.vcf.gz
fi

measure() {  # name input out_dir command...: "name input wall_s cpu_s rss_mb written_mb"
  local name=$1 input=$2 out=$3
  shift 3
  rm -rf "$out"*
  sync
  # Wall time to the millisecond (time -v prints centiseconds: too coarse for 0.2 s runs); it
  # includes /usr/bin/time's own start, the same for every tool.
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -v -o time.txt "$@" >/dev/null 2>cmd.err || { echo "$name failed:" >&2; cat cmd.err >&2; exit 1; }
  t1=$(date +%s%N)
  local secs cpu rss written
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1e9}')
  cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' time.txt)
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' time.txt)
  written=0
  if [ -e "$out" ] || compgen -G "$out.*" >/dev/null; then
    written=$(du -sbc "$out"* 2>/dev/null | tail -1 | awk '{printf "%.0f", $1/1048576}')
  fi
  echo "$name $input $secs $cpu $rss $written"
}

# snpflow's per-stage seconds from ingest.json: the serial reader (wall, and its own CPU per
# record), the parallel stages (CPU seconds summed over threads), the ordered store tail (wall and
# CPU), the writes after the graph (wall).
stages() {
  python3 - "$1" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1] + "/ingest.json"))
n = max(j["records"], 1)
st = " ".join(f"{k[:-12]}={v:.2f}" for k, v in j.items()
              if k.endswith("_cpu_seconds") and k not in ("source_cpu_seconds", "store_tail_cpu_seconds"))
print(f"records={j['records']} total={j['seconds']:.2f} graph={j['graph_seconds']:.2f} "
      f"source={j['source_seconds']:.2f} (own CPU {j.get('source_cpu_seconds', 0):.2f} s = "
      f"{1e6 * j.get('source_cpu_seconds', 0) / n:.2f} us/record) {st} "
      f"store-tail={j['store_tail_seconds']:.2f} (CPU {j.get('store_tail_cpu_seconds', 0):.2f}) "
      f"writes={j.get('finalize_seconds', 0):.2f} "
      f"fallback_records={j.get('fallback_records', 0)}")
EOF
}

: > all-results.txt
for run in $(seq "$REPEAT"); do
{
  for input in bcf vcf.gz; do
    fmt=$([ $input = bcf ] && echo bcf || echo vcf)
    measure "bcftools-view-Ou" $input none bcftools view --threads "$THREADS" -Ou -o /dev/null info.$input
    if command -v plink2 >/dev/null; then
      measure "plink2-make-pgen" $input plink plink2 --$fmt info.$input --make-pgen --out plink --threads "$THREADS" --memory 4000
    fi
    measure "snpflow-ingest" $input out-$fmt "$SNPFLOW" ingest info.$input --labels sim.panel -o out-$fmt --threads "$THREADS" -q --force
    stages out-$fmt > stages-$fmt.txt
    measure "snpflow-ingest-htslib" $input out-htslib-$fmt "$SNPFLOW" ingest info.$input --labels sim.panel -o out-htslib-$fmt --threads "$THREADS" -q --force --decode-gt.vcf-parser htslib
    stages out-htslib-$fmt > stages-htslib-$fmt.txt
    cmp -s out-$fmt/store.snpf out-htslib-$fmt/store.snpf || { echo "stores differ ($input)" >&2; exit 1; }
  done
  cmp -s out-bcf/store.snpf out-vcf/store.snpf || { echo "BCF and VCF.gz stores differ" >&2; exit 1; }
} > results.txt

echo "# $SAMPLES samples x $SNPS SNPs, --threads $THREADS, $(nproc) cores, $(date -u +%Y-%m-%d)"
echo "# run $run of $REPEAT; $(uptime | sed 's/.*load/load/')"
printf "%-22s %-7s %8s %7s %10s %9s %8s %11s\n" tool input "wall s" "CPU s" "x bcftools" "x plink2" "peak MB" "written MB"
awk '{ if ($1=="bcftools-view-Ou") base[$2]=$3; if ($1=="plink2-make-pgen") pl[$2]=$3; rows[NR]=$0 }
     END { for (i=1;i<=NR;i++) { split(rows[i],f," ");
             printf "%-22s %-7s %8.3f %7.2f %10.2f %9s %8d %11d\n", f[1], f[2], f[3], f[4], f[3]/base[f[2]],
                    (f[2] in pl) ? sprintf("%.2f", f[3]/pl[f[2]]) : "-", f[5], f[6] } }' results.txt
echo "# every snpflow store above is byte-identical"
for f in bcf vcf htslib-bcf htslib-vcf; do echo "# stages $f: $(cat stages-$f.txt)"; done
sed "s/^/$run /" results.txt >> all-results.txt
done

# With REPEAT > 1: per tool and input, the median wall time and the median (and range) of the
# ratios, each ratio taken within its run (the peers' times move between runs too).
if [ "$REPEAT" -gt 1 ]; then
  python3 - all-results.txt <<'EOF'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    run, tool, inp, wall = line.split()[:4]
    runs.setdefault(run, {})[(tool, inp)] = float(wall)
print(f"# medians over {len(runs)} runs (ratios within each run; range in brackets)")
print(f"{'tool':22} {'input':7} {'wall s':>8} {'x bcftools':>18} {'x plink2':>18}")
def cell(ratios):
    if not ratios: return f"{'-':>18}"
    return f"{statistics.median(ratios):6.2f} [{min(ratios):.2f}-{max(ratios):.2f}]".rjust(18)
for key in next(iter(runs.values())):
    walls = [r[key] for r in runs.values() if key in r]
    ratio = lambda peer: [r[key] / r[(peer, key[1])] for r in runs.values()
                          if key in r and (peer, key[1]) in r]
    print(f"{key[0]:22} {key[1]:7} {statistics.median(walls):8.3f} "
          f"{cell(ratio('bcftools-view-Ou'))} {cell(ratio('plink2-make-pgen'))}")
EOF
fi
