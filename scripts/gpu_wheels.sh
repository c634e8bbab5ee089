#!/usr/bin/env bash
# Downloads, into .whl/ (git-ignored), the wheels that a GPU machine without package registries
# needs to run benchmarks/bench_clip_gpu.py beside its own PyTorch (Python 3.12, x86-64 Linux):
# rewardgym's training stack at the versions this checkout is tested with. torch, torchvision,
# timm, numpy, tensorboard, matplotlib and the like are expected there already.
# Then, on that machine: bash benchmarks/gpu_check.sh (it installs .whl/*.whl and this checkout into
# /tmp/site). The wheels (13 MB) and the checkout travel together under the device's 64 MiB limit:
# the three bundled CLIP checkpoints are 17.4 MB each, so move the two 96-px ones
# (assets/clip/rewardgym-clip-small.pt, rewardgym-clip-captions.pt) out of the tree for the call
# (the benchmark uses only the default, rewardgym-clip-small-64) and back afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
mkdir -p .whl
WHEELS=(open_clip_torch==3.3.0 ftfy==6.3.1 wcwidth==0.9.5 mujoco==3.3.0 glfw==2.11.0 PyOpenGL==3.1.10
        gymnasium==1.4.0 Farama-Notifications==0.0.6 stable_baselines3==2.9.2 hydra-core==1.3.8 omegaconf==2.3.1)
PLATFORMS=()
for p in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64 manylinux1_x86_64; do
  PLATFORMS+=(--platform "$p")
done
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp "${PLATFORMS[@]}" \
  -d .whl "${WHEELS[@]}"
# antlr4-python3-runtime 4.9.3 (omegaconf's pin) is published as source only: build its pure-Python wheel here
"$PY" -m pip wheel -q --no-deps -w .whl antlr4-python3-runtime==4.9.3
du -sh .whl && ls .whl
