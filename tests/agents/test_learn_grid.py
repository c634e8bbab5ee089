"""benchmarks/learn.py's grid: a cell whose run fails (or is killed) does not lose the others' table,
and a killed cell run again continues from its last checkpoint."""
import json

import pytest


@pytest.fixture
def learn(benchmark_script):
    return benchmark_script("learn")


def _fake_cell(out, env, agent, arm, overrides, seed, steps, demos, eval_episodes, extra, tag="learn",
               checkpoint_every=0):
    if seed == 1:
        raise RuntimeError(f"{env}/{agent}/{arm}/seed{seed} failed (-15): ")
    run_dir = out / env / agent / arm / f"seed{seed}"
    run_dir.mkdir(parents=True)
    metrics = {"eval": {"success_rate": 0.5, "return_mean": 9.0, "success_any_rate": 1.0},
               "random_policy": {"success_rate": 0.0, "return_mean": 1.0}, "wall_time_s": 3.0}
    (run_dir / "metrics.json").write_text(json.dumps(metrics))
    return metrics


def test_run_grid_reports_failed_cells_and_keeps_the_rest(learn, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(learn, "run_cell", _fake_cell)
    arms = {"constant": ["reward=constant"]}
    failures = []
    results = learn.run_grid(tmp_path, ["humanoid_stand"], ["sac"], arms, [0, 1, 2], 100, 0, 2, 2, [],
                             failures=failures)
    assert sorted(results) == [("humanoid_stand", "sac", "constant", 0), ("humanoid_stand", "sac", "constant", 2)]
    assert failures == [("humanoid_stand", "sac", "constant", 1)]
    assert "humanoid_stand/sac/constant/seed1 failed (-15)" in capsys.readouterr().err
    with pytest.raises(RuntimeError, match="seed1 failed"):   # without a failures list the first failure is raised
        learn.run_grid(tmp_path / "again", ["humanoid_stand"], ["sac"], arms, [0, 1], 100, 0, 2, 1, [])


def test_main_tabulates_the_finished_cells_then_exits_naming_the_failed_ones(learn, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(learn, "run_cell", _fake_cell)
    monkeypatch.setattr(learn, "plot_curves", lambda *a, **k: None)   # curves need monitor files
    with pytest.raises(SystemExit, match="failed cells, not in the tables: humanoid_stand/sac/constant/seed1"):
        learn.main(["--envs", "humanoid_stand", "--agents", "sac", "--arms", "constant=reward=constant",
                    "--seeds", "0,1", "--out", str(tmp_path)])
    md = (tmp_path / "summary.md").read_text()
    assert "| humanoid_stand | sac | constant | 50% ± 0% | 0.50 |" in md


def test_a_killed_cell_continues_from_its_last_checkpoint(learn, tmp_path):
    """A cell with checkpoints but no metrics.json (its run was killed) is run again with resume=true:
    it continues the step count instead of starting over."""
    fast = ["agent.n_envs=2", "agent.ppo.n_steps=64", "agent.ppo.batch_size=64", "agent.ppo.n_epochs=1"]
    first = learn.run_cell(tmp_path, "cartpole", "ppo", "none", ["reward=none"], 0, 256, 0, 1, fast,
                           checkpoint_every=128)
    run_dir = tmp_path / "cartpole" / "ppo" / "none" / "seed0"
    assert first["resumed_from_steps"] == 0 and first["total_timesteps"] == 256
    (run_dir / "metrics.json").unlink()   # as if killed after its last checkpoint
    again = learn.run_cell(tmp_path, "cartpole", "ppo", "none", ["reward=none"], 0, 512, 0, 1, fast,
                           checkpoint_every=128)
    assert again["resumed_from_steps"] == 256 and again["total_timesteps"] == 512


def test_checkpoint_every_below_zero_is_one_line(learn, tmp_path):
    with pytest.raises(SystemExit, match="--checkpoint-every must be >= 0 env steps, got -5"):
        learn.main(["--envs", "cartpole", "--arms", "gt=reward=none", "--checkpoint-every", "-5",
                    "--out", str(tmp_path)])
