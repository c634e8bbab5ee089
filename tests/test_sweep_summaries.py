"""Both sweep summaries (rewardgym-train's summary.csv/md, rewardgym-eval-reward's comparison
table) read a run's overrides through one helper, rewardgym.cli.run_overrides, with OmegaConf:
an override Hydra stores quoted reaches the tables without YAML quote characters."""
import csv
import json

from omegaconf import OmegaConf

from rewardgym.agents import sweep as train_sweep
from rewardgym.cli import run_overrides
from rewardgym.reward_quality import sweep as reward_sweep

QUOTED = 'env.prompts.goal=["pole: upright"]'   # Hydra writes it as - 'env.prompts.goal=["pole: upright"]'


def _run_dir(folder, overrides):
    (folder / ".hydra").mkdir(parents=True)
    OmegaConf.save(OmegaConf.create(overrides), folder / ".hydra" / "overrides.yaml")  # as Hydra saves it
    return folder


def test_run_overrides_unquotes(tmp_path):
    run = _run_dir(tmp_path / "0", [QUOTED, "seed=1", "+reward.note=it's"])
    assert "'" + QUOTED + "'" in (run / ".hydra" / "overrides.yaml").read_text()  # the file does quote it
    assert run_overrides(run) == [QUOTED, "seed=1", "+reward.note=it's"]
    assert run_overrides(tmp_path / "no_such_run") == []


def test_train_summary_has_no_yaml_quotes(tmp_path):
    for i in range(2):
        run = _run_dir(tmp_path / f"{i}__run", [QUOTED, f"seed={i}"])
        (run / "metrics.json").write_text(json.dumps({"eval": {"success_rate": 0.5, "return_mean": 1.0},
                                                      "total_timesteps": 64}))
    md = train_sweep.summarize(tmp_path).read_text()
    assert f"| {QUOTED} seed=0 |" in md and "'" not in md
    rows = list(csv.DictReader(open(tmp_path / "summary.csv")))
    assert [r["overrides"] for r in rows] == [f"{QUOTED} seed=0", f"{QUOTED} seed=1"]


def test_reward_quality_comparison_has_no_yaml_quotes(tmp_path):
    for i, goal in enumerate(['["pole: upright"]', '["pole: fallen"]']):
        run = _run_dir(tmp_path / f"{i}__run", [f"env.prompts.goal={goal}", "env=cartpole"])
        m = {"pearson": 0.5, "spearman": 0.5, "epic": 0.3, "auc_success": 0.9, "steps": 10, "episodes": 2}
        (run / "report.json").write_text(json.dumps({"metrics": {"all": m}}))
    md = reward_sweep.summarize(tmp_path).read_text()
    assert '| env.prompts.goal | pearson |' in md and '| ["pole: upright"] | 0.500 |' in md and "'" not in md
    rows = list(csv.reader(open(tmp_path / "comparison.csv")))
    assert rows[0][0] == "env.prompts.goal" and [r[0] for r in rows[1:]] == ['["pole: upright"]', '["pole: fallen"]']


def test_train_summary_steps_to_success_from_eval_curves(tmp_path):
    # Two seeds of one configuration: one reaches 80% at 4000 steps, one never (counts as its
    # budget, 6000: the mean is a lower bound); both reach 50%.
    curves = [[(2000, 0.3), (4000, 0.85), (6000, 0.9)], [(2000, 0.5), (4000, 0.6), (6000, 0.7)]]
    for i, curve in enumerate(curves):
        run = _run_dir(tmp_path / f"{i}__run", ["reward=none", f"seed={i}"])
        (run / "metrics.json").write_text(json.dumps({"eval": {"success_rate": curve[-1][1]},
                                                      "total_timesteps": 6000}))
        (run / "eval_curve.json").write_text(json.dumps([{"steps": s, "success_rate": r} for s, r in curve]))
    md = train_sweep.summarize(tmp_path).read_text()
    rows = list(csv.DictReader(open(tmp_path / "summary.csv")))
    assert [(r["steps_to_50%"], r["steps_to_80%"], r["best_eval_success"]) for r in rows] == \
        [("4000", "4000", "0.9"), ("2000", "", "0.7")]
    assert "| reward=none | 2 | 0.8 | 3000 | >= 5000 (1/2 reached) |" in md
