"""benchmarks/learn.py and its keypoint front end learn_keypoint.py end to end on tiny budgets (slow)."""
import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

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
        assert (out / "manip_reach" / "ppo" / r["reward"] / "seed0" / "bc.json").exists(), "every arm starts from the same clone"
    md = (out / "summary.md").read_text()
    assert "| reach | ppo | keypoint |" in md and "learn_keypoint.py --tasks reach" in md
    assert (out / "curve_reach.png").stat().st_size > 5000
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300)  # finished cells are not run again
    assert again.returncode == 0 and "[learn_keypoint]" not in again.stdout
    bad = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "learn_keypoint.py"), "--tasks", "fly"],
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "unknown task ['fly']; valid: reach, push" in bad.stderr


@pytest.mark.slow
def test_clip_preset_runs_every_arm_and_agent(tmp_path):
    """benchmarks/learn.py --preset clip: ground truth, the three bundled CLIPs and the constant control,
    under PPO and SAC, one table row and one curve per (env, agent)."""
    out = tmp_path / "bench"
    cmd = [sys.executable, str(ROOT / "benchmarks" / "learn.py"), "--envs", "humanoid_kneel", "--preset", "clip",
           "--agents", "ppo,sac", "--seeds", "0", "--steps", "128", "--eval-episodes", "1", "--jobs", "2",
           "--out", str(out), "--", "env.max_episode_steps=64", "agent.n_envs=1"]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stderr[-3000:]
    rows = list(csv.DictReader(open(out / "summary.csv")))
    assert [(r["agent"], r["reward"]) for r in rows] == [
        (a, r) for a in ("ppo", "sac") for r in ("none", "clip_captions", "clip_graded", "clip_graded_64", "constant")]
    for agent in ("ppo", "sac"):
        assert (out / f"curve_humanoid_kneel_{agent}.png").stat().st_size > 5000
        run_dir = out / "humanoid_kneel" / agent / "clip_captions" / "seed0"
        overrides = yaml.safe_load((run_dir / ".hydra" / "overrides.yaml").read_text())
        assert "reward.model=rewardgym-clip-captions" in overrides and f"agent={agent}" in overrides
        assert json.loads((run_dir / "metrics.json").read_text())["reward"].endswith("CLIPReward")
    bad = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "learn.py"), "--envs", "cartpole",
                          "--preset", "clip", "--rewards", "clip_zero"], capture_output=True, text=True)
    assert bad.returncode != 0 and "unknown reward arm ['clip_zero']; valid: none, clip_captions" in bad.stderr


def test_collect_tabulates_finished_cells_and_runs_nothing(tmp_path, benchmark_script):
    """--collect writes the tables of whichever cells finished (different arms per env allowed)."""
    learn = benchmark_script("learn")
    out = tmp_path / "grid"
    for env, arm, seed, success in [("humanoid_kneel", "none", 0, 1.0), ("humanoid_kneel", "clip_a0", 0, 0.9),
                                    ("humanoid_kneel", "clip_a0", 1, 0.7), ("humanoid_lotus", "none", 0, 0.5)]:
        run = out / env / "ppo" / arm / f"seed{seed}"
        run.mkdir(parents=True)
        (run / "metrics.json").write_text(json.dumps({
            "eval": {"success_rate": success, "return_mean": 10 * success},
            "random_policy": {"success_rate": 0.0, "return_mean": 1.0}, "wall_time_s": 5.0,
            "total_timesteps": 3000}))
    learn.main(["--envs", "humanoid_kneel", "--arms", "none=reward=none", "--seeds", "0", "--out", str(out), "--collect"])
    assert [r["steps"] for r in csv.DictReader(open(out / "summary.csv"))] == ["3000"], "the runs' own budget, not 100k"
    text = learn.main(["--envs", "humanoid_kneel,humanoid_lotus", "--arms", "clip_a0=reward=clip,none=reward=none",
                       "--seeds", "0,1", "--steps", "1000", "--out", str(out), "--collect"])
    rows = list(csv.DictReader(open(out / "summary.csv")))
    assert [(r["env"], r["reward"], r["seeds"]) for r in rows] == [
        ("humanoid_kneel", "clip_a0", "2"), ("humanoid_kneel", "none", "1"), ("humanoid_lotus", "none", "1")]
    assert {r["steps"] for r in rows} == {"1000"}, "--steps given: it wins"
    assert "| humanoid_kneel | ppo | clip_a0 | 80% ± 10% | 0.90 0.70 |" in text
    with pytest.raises(SystemExit, match="no finished cells"):
        learn.main(["--envs", "humanoid_stand", "--arms", "none=reward=none", "--out", str(out), "--collect"])


def test_reeval_adds_success_at_any_step_to_older_cells(tmp_path, benchmark_script):
    """--collect --reeval: a cell measured before success at any step was recorded is evaluated
    again exactly as training did (its stored last-step success comes out the same)."""
    learn = benchmark_script("learn")
    out = tmp_path / "grid"
    run = out / "cartpole" / "ppo" / "none" / "seed0"
    train = subprocess.run([sys.executable, "-m", "rewardgym.agents.train", "env=cartpole", "reward=none", "seed=0",
                            "agent.total_timesteps=256", "agent.ppo.n_steps=64", "agent.ppo.batch_size=64",
                            "eval.episodes=3", "checkpoint_freq=1000000", f"hydra.run.dir={run}"],
                           capture_output=True, text=True, timeout=300)
    assert train.returncode == 0, train.stderr[-2000:]
    metrics = json.loads((run / "metrics.json").read_text())
    measured = metrics["eval"].pop("success_any_rate")
    (run / "metrics.json").write_text(json.dumps(metrics))
    text = learn.main(["--envs", "cartpole", "--arms", "none=reward=none", "--seeds", "0", "--steps", "256",
                       "--out", str(out), "--collect", "--reeval"])
    again = json.loads((run / "metrics.json").read_text())["eval"]
    assert again["success_any_rate"] == measured and again["success_rate"] == metrics["eval"]["success_rate"]
    assert f"| {measured:.0%} |" in text
    metrics["eval"]["success_rate"] = 0.5 if metrics["eval"]["success_rate"] != 0.5 else 0.25   # a stored number
    (run / "metrics.json").write_text(json.dumps(metrics))                                       # it cannot reproduce
    with pytest.raises(SystemExit, match="differs from the stored"):
        learn.main(["--envs", "cartpole", "--arms", "none=reward=none", "--seeds", "0", "--out", str(out),
                    "--collect", "--reeval"])


def test_arms_keep_list_values_in_one_piece(benchmark_script):
    """An arm's override may hold a list (``reward.baseline_prompts=[a,b]``): the commas and pluses inside
    its brackets do not split arms or overrides."""
    learn = benchmark_script("learn")
    arms = learn.parse_arms(None, "a=reward=clip+reward.baseline_prompts=[x y,z+w],b=reward=none")
    assert arms == {"a": ["reward=clip", "reward.baseline_prompts=[x y,z+w]"], "b": ["reward=none"]}
