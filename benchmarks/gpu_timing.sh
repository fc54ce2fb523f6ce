#!/usr/bin/env bash
# The chapter's timing comparison (simple RNN vs LSTM, book vs fused variant) on a GPU, with Keras's
# torch and JAX backends. Made for the device machine (PyTorch, JAX, CUDA; no TensorFlow, no internet):
# first run benchmarks/prepare_gpu_carry.sh here, then, through the device tool, with carry [".whl", ".gpudata"]:
#     bash benchmarks/gpu_timing.sh
# It also runs on any machine with Keras installed (set BACKENDS and DATA), e.g. on this CPU:
#     BACKENDS="tensorflow torch" DATA=../shared/data/aclImdb_v1_labeled.tar.gz EPOCHS=3 REPEATS=1 bash benchmarks/gpu_timing.sh
# Output: the tables on stdout and timing.json in $OUT (the device tool's folder) or runs/gpu_timing.
set -uo pipefail
cd "$(dirname "$0")/.."
BACKENDS=${BACKENDS:-"torch jax"}
DATA=${DATA:-.gpudata/aclImdb.tar.gz}
EPOCHS=${EPOCHS:-3}
REPEATS=${REPEATS:-2}
dest=${OUT:-runs/gpu_timing}
mkdir -p "$dest"
if [ -d .whl ] && ! python3 -c "import keras" 2>/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export CHAPTER12_CACHE=${CHAPTER12_CACHE:-/tmp/chapter12-cache}
export PYTHONUNBUFFERED=1
python3 - <<'PY'
import platform, subprocess
print("python", platform.python_version())
try:
    print(subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
                         capture_output=True, text=True, timeout=30).stdout.strip() or "no nvidia-smi output")
except Exception as e:
    print("nvidia-smi:", e)
PY
available=""
for b in $BACKENDS; do
  if python3 -c "import $b" 2>/dev/null; then available="$available $b"; else echo "skipping $b: not installed"; fi
done
[ -n "$available" ] || { echo "error: none of the backends ($BACKENDS) is installed" >&2; exit 2; }
# Each backend in its own process and its own try: one that fails does not lose the others.
status=0
for b in $available; do
  timeout 420 python3 -m chapter12 time --backends "$b" --data "$DATA" --epochs "$EPOCHS" --repeats "$REPEATS" \
    --json "$dest/timing_$b.json" || { echo "error: timing on $b failed" >&2; status=1; }
done
ls -l "$dest"
exit $status
