#!/usr/bin/env bash
# The CLIP reward's GPU measurement in one command on a bare GPU machine without package registries
# (PyTorch there, rewardgym's other requirements not): installs the wheels that scripts/gpu_wheels.sh
# put in .whl/ and this checkout into /tmp/site, then runs benchmarks/bench_clip_gpu.py (model
# frames/s at batches 64-1024, end-to-end training steps/s). Results: $OUT/gpu_clip.json and
# $OUT/gpu_clip.log ($OUT: the device tool's output folder; /tmp/gpu_clip elsewhere).
# Extra arguments go to bench_clip_gpu.py (e.g. --train-repeats 1). About 5 minutes on one H100.
set -eo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-/tmp/gpu_clip}
mkdir -p "$out"
ls "$repo"/.whl/*.whl >/dev/null 2>&1 || { echo "gpu_check: no wheels in $repo/.whl (run scripts/gpu_wheels.sh first)" >&2; exit 2; }
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site "$repo"/.whl/*.whl
python3 -m pip install -q --no-index --no-deps --no-build-isolation --no-compile --no-cache-dir --upgrade \
    --target /tmp/site "$repo"
export PYTHONPATH=/tmp/site MUJOCO_GL=${MUJOCO_GL:-egl} PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$out/gpu_clip.log" || true
# run outside the checkout so that `import rewardgym` is the installed package, not the source folder
cd /tmp
python3 "$repo/benchmarks/bench_clip_gpu.py" --out "$out/gpu_clip.json" "$@" 2>&1 | tee -a "$out/gpu_clip.log"
