"""Fixtures shared by the env tests."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def train_cli():
    """``rewardgym-train`` with the given overrides in a fresh process (EGL rendering, the repository
    as working directory); returns the finished ``subprocess.CompletedProcess`` (text output)."""
    def run(*overrides, env_vars=None, timeout=600):
        env = {**os.environ, "MUJOCO_GL": "egl", **(env_vars or {})}
        return subprocess.run([sys.executable, "-m", "rewardgym.agents.train", *overrides], capture_output=True,
                              text=True, env=env, timeout=timeout, cwd=ROOT)

    return run
