"""benchmarks/learn_gui.py end to end on the bundled sample and tiny budgets (slow: Chromium and training)."""
import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TINY = ["agent.n_envs=2", "agent.ppo.n_steps=32", "agent.ppo.batch_size=32", "agent.ppo.n_epochs=1"]


def _data(tmp_path) -> Path:
    data = tmp_path / "data"
    for name in ("click-red", "multi"):  # the sample stands in for both recordings (it has click-red rows)
        shutil.copytree(ROOT / "assets" / "gui" / "sample", data / name)
    return data


@pytest.mark.slow
def test_single_task_benchmark_judges_live_with_curves(tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, str(ROOT / "benchmarks" / "learn_gui.py"), "single", "--task", "click-red", "--seeds", "0",
           "--arms", "gaussian,binary", "--steps", "128", "--eval-every", "64", "--eval-episodes", "2",
           "--final-episodes", "3", "--data", str(_data(tmp_path)), "--out", str(out), "--", *TINY,
           "env.kwargs.tasks=[click-red]"]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stderr[-3000:]
    bench = out / "single_click-red"
    rows = list(csv.DictReader(open(bench / "summary.csv")))
    assert [r["arm"] for r in rows] == ["gaussian", "binary"]
    for arm in ("gaussian", "binary"):
        metrics = json.loads((bench / arm / "seed0" / "metrics.json").read_text())
        assert metrics["eval_env"] == {"id": "rewardgym/Browser-v0", "kwargs": {"task": "click-red",
                                                                               "obs_type": "default"}}
        assert metrics["eval"]["episodes"] == 3 and metrics["env"] == "rewardgym/Grounding-v0"
        curve = json.loads((bench / arm / "seed0" / "eval_curve.json").read_text())
        assert [e["steps"] for e in curve][:1] == [64] and all(e["episodes"] == 2 for e in curve)
    assert "steps to 80% live" in (bench / "summary.md").read_text()
    assert (bench / "curve_click-red.png").stat().st_size > 5000


@pytest.mark.slow
def test_multi_task_benchmark_shares_the_warm_start_and_evaluates_replayed_and_live(tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, str(ROOT / "benchmarks" / "learn_gui.py"), "multi", "--seeds", "0",
           "--arms", "warm_only,binary", "--steps", "64", "--warm-epochs", "2", "--per-task", "2",
           "--final-episodes", "2", "--data", str(_data(tmp_path)), "--out", str(out), "--", *TINY,
           f"agent.warm_start.cache_dir={tmp_path / 'cache'}"]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stderr[-3000:]
    bench = out / "multi"
    starts = [json.loads((bench / arm / "seed0" / "warm_start.json").read_text()) for arm in ("warm_only", "binary")]
    assert "cached" not in starts[0] and "cached" in starts[1]  # the second arm started from the first's weights
    test = json.loads((bench / "binary" / "seed0" / "gui_eval_test.json").read_text())
    assert len(test["tasks"]) == 8 and all(e["rows"] == 2 and 0 <= e["live_success"] <= 1 for e in test["tasks"].values())
    md = (bench / "summary.md").read_text()
    assert "| warm_only |" in md and "| binary |" in md and "miniwob/click-test-2" in md
