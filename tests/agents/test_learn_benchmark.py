"""benchmarks/learn_keypoint.py end to end on a tiny budget (slow: nine short training runs)."""
import csv
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_learning_benchmark_end_to_end(tmp_path):
    out = tmp_path / "bench"
    cmd = [sys.executable, str(ROOT / "benchmarks" / "learn_keypoint.py"), "--tasks", "reach", "--seeds", "0",
           "--steps", "256", "--eval-episodes", "2", "--demos", "2", "--jobs", "2", "--out", str(out), "--",
           "agent.ppo.n_steps=64", "agent.ppo.batch_size=64", "agent.bc.epochs=2", f"agent.bc.cache_dir={tmp_path / 'c'}"]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    rows = list(csv.DictReader(open(out / "summary.csv")))
    assert [r["reward"] for r in rows] == ["none", "keypoint", "constant"]
    for r in rows:
        assert 0.0 <= float(r["success_mean"]) <= 1.0 and float(r["random_success"]) == 0.0
        assert (out / "reach" / r["reward"] / "seed0" / "bc.json").exists(), "every arm starts from the same clone"
    md = (out / "summary.md").read_text()
    assert "| reach | keypoint |" in md and "learn_keypoint.py --tasks reach" in md
    assert (out / "curve_reach.png").stat().st_size > 5000
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300)  # finished cells are not run again
    assert again.returncode == 0 and "[learn_keypoint]" not in again.stdout
    bad = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "learn_keypoint.py"), "--tasks", "fly"],
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "unknown ['fly']; valid: reach, push" in bad.stderr
