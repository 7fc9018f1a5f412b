#!/usr/bin/env bash
# Install the Debian 12 packages snpflow needs, skipping those already installed.
# Run as root (or with sudo available). Safe to run again.
set -euo pipefail
PACKAGES=(
  build-essential cmake ninja-build pkg-config            # toolchain
  libhts-dev libtbb-dev libtorch-dev libboost-program-options-dev libzstd-dev libdeflate-dev
  libgloo-dev                                               # Gloo headers for c10d ProcessGroupGloo (distributed training)
  libopenblas0-pthread                                      # LibTorch/numpy BLAS: 6-16x faster epochs than reference BLAS
  libgtest-dev                                              # tests
  libxxhash-dev                                             # manifest checksums (XXH3-128)
  bcftools tabix                                            # tests cross-check against bcftools
  python3-numpy python3-sklearn python3-torch python3-zstandard   # export tests, examples/python
  gnuplot-nox                                               # training plots
  plink2 time                                               # bench/ (peer tool, peak RSS)
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
