#!/usr/bin/env bash
# Sets up rewardgym from a fresh clone: system packages (Debian's Chromium for the browser
# tasks, Mesa EGL for offscreen MuJoCo rendering, ffmpeg for videos), a virtual environment
# in .venv, PyTorch, and the package with every extra and the test tools.
# Safe to run again: every step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(chromium chromium-driver ffmpeg libegl1 libgl1-mesa-dri libglx-mesa0)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup] installing system packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || { echo "[setup] creating .venv"; "$PY" -m venv .venv; }
VPY=.venv/bin/python

if ! $VPY -c "import torch, torchvision" 2>/dev/null; then
  echo "[setup] installing PyTorch"
  case "$(uname -m)" in
    aarch64|arm64) $VPY -m pip install -q torch==2.9.1 torchvision==0.24.1 ;;
    *)             $VPY -m pip install -q torch==2.14.1 torchvision==0.29.1 ;;
  esac
fi

stamp=.venv/.rewardgym-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ setup.py -nt "$stamp" ]; then
  echo "[setup] installing rewardgym[all,test] (editable)"
  $VPY -m pip install -q -e ".[all,test]"
  touch "$stamp"
fi
echo "[setup] ready: $($VPY -c 'import rewardgym; print("rewardgym", rewardgym.__version__)')"
