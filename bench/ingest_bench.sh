#!/usr/bin/env bash
# Ingest benchmark: simulate 3,450 samples x SNPS (default 40,000; SNPS=315000 for full 1000
# Genomes size), add 1000 Genomes-like INFO fields (bcftools +fill-tags: AN, AC, AF, MAF, HWE,
# ExcHet, then AF/AC/AN per super-population), then time in the same run, on BCF and VCF.gz:
#   bcftools view -Ou -o /dev/null  (decode only: the floor for any VCF/BCF reader)
#   plink2 --make-pgen              (the usual genotype import)
#   snpflow ingest                  (decode, filter, count, store, counts; default fast VCF parser)
#   snpflow ingest --decode-gt.vcf-parser htslib   (VCF.gz only: htslib's serial parser)
# Prints wall seconds, peak RSS (/usr/bin/time -v), bytes written, the ratios to bcftools and
# plink2 on the same input, and snpflow's per-stage times from ingest.json. REPEAT=2 runs the
# whole set twice (timings on a shared machine are noisy: compare ratios within one run).
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
    bcftools +fill-tags -Ob -o info.bcf -- -S super_pops.txt -t AF,AC,AN
  bcftools view --threads "$THREADS" -Oz -o info.vcf.gz info.bcf
fi

measure() {  # name input out_dir command...: prints "name input seconds rss_mb written_mb"
  local name=$1 input=$2 out=$3
  shift 3
  rm -rf "$out"
  /usr/bin/time -v -o time.txt "$@" >/dev/null 2>cmd.err || { echo "$name failed:" >&2; cat cmd.err >&2; exit 1; }
  local secs rss written
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' time.txt)
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' time.txt)
  written=0
  [ -e "$out" ] && written=$(du -sbc $out* 2>/dev/null | tail -1 | awk '{printf "%.0f", $1/1048576}')
  echo "$name $input $secs $rss $written"
}

for run in $(seq "$REPEAT"); do
{
  for input in bcf vcf.gz; do
    fmt=$([ $input = bcf ] && echo bcf || echo vcf)
    measure "bcftools-view-Ou" $input none bcftools view --threads "$THREADS" -Ou -o /dev/null info.$input
    if command -v plink2 >/dev/null; then
      measure "plink2-make-pgen" $input plink plink2 --$fmt info.$input --make-pgen --out plink --threads "$THREADS" --memory 4000
    fi
    measure "snpflow-ingest" $input out-$fmt "$SNPFLOW" ingest info.$input --labels sim.panel -o out-$fmt --threads "$THREADS" -q --force
    tr ',' '\n' < out-$fmt/ingest.json | grep -E '"(graph_seconds|source_seconds|store_tail_seconds|records|fallback_records)"' |
      tr -d ' "' | tr '\n' ' ' > stages-$fmt.txt
  done
  measure "snpflow-ingest-htslib" vcf.gz out-htslib "$SNPFLOW" ingest info.vcf.gz --labels sim.panel -o out-htslib --threads "$THREADS" -q --force --decode-gt.vcf-parser htslib
} > results.txt

echo "# $SAMPLES samples x $SNPS SNPs, --threads $THREADS, $(nproc) cores"
echo "# run $run of $REPEAT; $(uptime | sed 's/.*load/load/')"
printf "%-22s %-7s %9s %10s %9s %9s %11s\n" tool input seconds "x bcftools" "x plink2" "peak MB" "written MB"
awk '{ if ($1=="bcftools-view-Ou") base[$2]=$3; if ($1=="plink2-make-pgen") pl[$2]=$3; rows[NR]=$0 }
     END { for (i=1;i<=NR;i++) { split(rows[i],f," ");
             printf "%-22s %-7s %9.2f %10.2f %9s %9d %11d\n", f[1], f[2], f[3], f[3]/base[f[2]],
                    (f[2] in pl) ? sprintf("%.2f", f[3]/pl[f[2]]) : "-", f[4], f[5] } }' results.txt
echo "# snpflow per stage (ingest.json): bcf: $(cat stages-bcf.txt)"
echo "#                                  vcf.gz: $(cat stages-vcf.txt)"
done
