#!/usr/bin/env bash
# Ingest benchmark: simulate 3,450 samples x SNPS (default 50,000; SNPS=315000 for full 1000
# Genomes size), then time in the same run:
#   bcftools view -Ou -o /dev/null  (decode only: the floor for any VCF/BCF reader)
#   plink2 --make-pgen              (the usual genotype import)
#   snpflow ingest                  (decode, filter, count, store, counts)
# Prints wall seconds, ratio to bcftools on the same input, and peak RSS (/usr/bin/time -v).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SNPFLOW=$(realpath "$BUILD/snpflow")
SAMPLES=${SAMPLES:-3450}
SNPS=${SNPS:-50000}
THREADS=${THREADS:-2}
WORK=${WORK:-/tmp/snpflow-bench-$SAMPLES-$SNPS}
mkdir -p "$WORK"
cd "$WORK"

if [ ! -s sim.bcf ]; then
  echo "simulating $SAMPLES x $SNPS ..." >&2
  "$SNPFLOW" simulate --samples "$SAMPLES" --snps "$SNPS" --chroms 22 --seed 1 -O b -o sim.bcf --threads "$THREADS" -q
  bcftools view --threads "$THREADS" -Oz -o sim.vcf.gz sim.bcf
fi

measure() {  # name input command...: prints "name input seconds rss_mb"
  local name=$1 input=$2
  shift 2
  /usr/bin/time -v -o time.txt "$@" >/dev/null 2>cmd.err || { echo "$name failed:" >&2; cat cmd.err >&2; exit 1; }
  local secs rss
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' time.txt)
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' time.txt)
  echo "$name $input $secs $rss"
}

{
  measure "bcftools-view-Ou" bcf bcftools view --threads "$THREADS" -Ou -o /dev/null sim.bcf
  measure "bcftools-view-Ou" vcf.gz bcftools view --threads "$THREADS" -Ou -o /dev/null sim.vcf.gz
  if command -v plink2 >/dev/null; then
    measure "plink2-make-pgen" vcf.gz plink2 --vcf sim.vcf.gz --make-pgen --out plink --threads "$THREADS" --memory 4000
    measure "plink2-make-pgen" bcf plink2 --bcf sim.bcf --make-pgen --out plink --threads "$THREADS" --memory 4000
  fi
  measure "snpflow-ingest" bcf "$SNPFLOW" ingest sim.bcf --labels sim.panel -o out-bcf --threads "$THREADS" -q --force
  measure "snpflow-ingest" vcf.gz "$SNPFLOW" ingest sim.vcf.gz --labels sim.panel -o out-vcf --threads "$THREADS" -q --force
} > results.txt

echo "# $SAMPLES samples x $SNPS SNPs, --threads $THREADS, $(nproc) cores"
printf "%-20s %-7s %9s %10s %9s\n" tool input seconds "x bcftools" "peak MB"
awk '{ if ($1=="bcftools-view-Ou") base[$2]=$3; rows[NR]=$0 }
     END { for (i=1;i<=NR;i++) { split(rows[i],f," "); printf "%-20s %-7s %9.2f %10.2f %9d\n", f[1], f[2], f[3], f[3]/base[f[2]], f[4] } }' results.txt
