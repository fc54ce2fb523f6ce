#!/usr/bin/env bash
# Run HERE (a machine with pip and the data) before benchmarks/gpu_timing.sh runs on the GPU machine.
# The GPU machine has PyTorch, JAX and CUDA but no TensorFlow, no Keras and no internet, so Keras and
# the two packages it needs that the image lacks travel as wheels for its Python 3.12, and the data
# travels as the Stanford archive. Both folders are git-ignored through .git/info/exclude.
# Usage: bash benchmarks/prepare_gpu_carry.sh [ARCHIVE]     then carry .whl and .gpudata
set -euo pipefail
cd "$(dirname "$0")/.."
archive=${1:-../shared/data/aclImdb_v1_labeled.tar.gz}
[ -f "$archive" ] || { echo "error: no archive at $archive; pass the path to aclImdb_v1.tar.gz" >&2; exit 2; }
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
grep -qx '/.gpudata/' .git/info/exclude 2>/dev/null || echo '/.gpudata/' >> .git/info/exclude
rm -rf .whl && mkdir -p .whl .gpudata
keras_version=$(python3 -c "import keras; print(keras.__version__)" 2>/dev/null || echo 3.15.1)
python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d .whl \
  "keras==$keras_version" namex optree
cp "$archive" .gpudata/aclImdb.tar.gz
du -sh .whl .gpudata
echo "now: run benchmarks/gpu_timing.sh on the GPU machine, carrying .whl and .gpudata"
