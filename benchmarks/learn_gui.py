"""GUI learning benchmark: reward arms for one instruction-conditioned PPO policy, judged live in Chromium.

Every run trains ``+experiment=gui_grounding`` (the FiLM grounding policy) on ``rewardgym/Grounding-v0``
replaying a dataset recorded from live pages (made here first if missing, with
``rewardgym-record-grounding``), and is judged on the live ``rewardgym/Browser-v0`` pages. Arms:

* ``gaussian``: GUI-G^2's Gaussian point reward (point actions);
* ``gaussian_box``: box actions, Gaussian point + coverage (1:1);
* ``binary``: the env's own reward, 1 for a click inside a target box;
* ``constant``: no information.

Two benchmarks:

* ``single``: one task from scratch (no warm start), ``eval.every`` live evaluations during
  training; table: final live success, steps to 50% and 80% live success (mean over seeds; a seed
  that never got there counts as the budget, shown as ``>=``), and a curve of live success;
* ``multi``: one policy over many click tasks (own + MiniWoB++), every arm from the same
  supervised warm start on the recorded boxes (``agent.warm_start.epochs``; cached, so all arms of
  a seed start from the same weights; ``warm_only`` is that start without PPO), then judged on the
  held-out seeds of every task, replayed and live on the same episodes (``agents/gui_eval.py``),
  and on held-out tasks.

    nice -n 5 .venv/bin/python benchmarks/learn_gui.py single --task click-shape --steps 60000 --jobs 2
    nice -n 5 .venv/bin/python benchmarks/learn_gui.py multi --steps 40000 --warm-epochs 8 --jobs 2

Writes ``<out>/<bench>/summary.md``, ``summary.csv``, curves and each run's folder; a finished run
(its ``metrics.json``) is not run again. Extra ``rewardgym-train`` overrides go after ``--``.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from learn import _train_cmd, parse_list, split_argv, write_summary  # noqa: E402

ARMS = {"gaussian": ["reward=gaussian"],
        "gaussian_box": ["env.kwargs.action_type=box", "reward=gaussian"],
        "binary": ["reward=none"],
        "constant": ["reward=constant"],
        "warm_only": ["reward=none"]}          # multi: the warm start alone (no PPO steps)
COLORS = {"gaussian": "tab:blue", "gaussian_box": "tab:purple", "binary": "tab:green", "constant": "tab:gray",
          "warm_only": "tab:orange"}
OWN = ("click-button", "click-shape", "click-red", "click-checkbox", "click-link", "click-icon")
MINIWOB = ("click-test", "click-test-2", "click-button", "click-link", "click-color", "click-tab", "click-dialog",
           "click-dialog-2", "focus-text", "focus-text-2", "click-widget", "identify-shape")
MULTI_TASKS = OWN + tuple(f"miniwob/{t}" for t in MINIWOB)
HELD_OUT_TASKS = ("miniwob/click-test-transfer", "miniwob/grid-coordinate")
TEST_SEEDS = "1000000:1000100"


def ensure_dataset(path: Path, tasks, train_seeds: str, test_tasks=()) -> None:
    """Records the dataset with rewardgym-record-grounding unless a finished one is there."""
    from rewardgym.envs.gui.dataset import MANIFEST

    if (path / MANIFEST).exists():
        return
    cmd = [sys.executable, "-c", "from rewardgym.envs.browser.record import main; raise SystemExit(main())",
           "--out", str(path), "--tasks", ",".join(tasks), "--train-seeds", train_seeds, "--test-seeds", TEST_SEEDS]
    if test_tasks:
        cmd += ["--test-tasks", ",".join(test_tasks)]
    print("[learn_gui] recording", " ".join(cmd[3:]), flush=True)
    subprocess.run(cmd, check=True)


def live_env(task: str) -> str:
    from rewardgym.envs.browser.record import task_kwargs

    kw = ",".join(f"{k}:{v}" for k, v in task_kwargs(task).items())
    return f"eval.env={{id:rewardgym/Browser-v0,kwargs:{{{kw},obs_type:default}},max_episode_steps:1}}"


def run_cell(run_dir: Path, overrides: list[str], tag: str) -> dict:
    metrics = run_dir / "metrics.json"
    if not metrics.exists():
        t0 = time.perf_counter()
        args = ["+experiment=gui_grounding", *overrides, f"hydra.run.dir={run_dir}", "checkpoint_freq=1000000"]
        proc = subprocess.run(_train_cmd() + args, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"{run_dir} failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
        print(f"[learn_gui] {tag}: {time.perf_counter() - t0:6.0f} s", flush=True)
    return json.loads(metrics.read_text())


def steps_to(curve: list[dict], level: float) -> int | None:
    return next((e["steps"] for e in curve if e["success_rate"] >= level), None)


def _mean_steps(values: list[int | None], budget: int) -> str:
    if not values:
        return ""
    reached = [v if v is not None else budget for v in values]
    prefix = ">= " if any(v is None for v in values) else ""
    return f"{prefix}{np.mean(reached):,.0f} ({sum(v is not None for v in values)}/{len(values)})"


def bench_single(a, extra: list[str], out: Path) -> str:
    data = Path(a.data) / a.task.replace("/", "_")
    ensure_dataset(data, [a.task], a.train_seeds)
    arms = parse_list(a.arms, [k for k in ARMS if k != "warm_only"], "arm", "learn_gui")
    seeds = [int(s) for s in parse_list(a.seeds)]
    base = [f"env.kwargs.dataset={data.resolve()}", f"agent.total_timesteps={a.steps}", f"eval.every={a.eval_every}",
            f"eval.every_episodes={a.eval_episodes}", f"eval.episodes={a.final_episodes}", live_env(a.task)]
    cells = [(arm, s) for arm in arms for s in seeds]
    with ThreadPoolExecutor(max(1, a.jobs)) as pool:
        futures = {c: pool.submit(run_cell, out / c[0] / f"seed{c[1]}", base + ARMS[c[0]] + [f"seed={c[1]}"] + extra,
                                  f"{c[0]} seed {c[1]}") for c in cells}
        results = {c: f.result() for c, f in futures.items()}
    rows, curves = [], {}
    for arm in arms:
        ms = [results[(arm, s)] for s in seeds]
        cs = [json.loads((out / arm / f"seed{s}" / "eval_curve.json").read_text()) for s in seeds]
        curves[arm] = cs
        succ = np.array([m["eval"]["success_rate"] for m in ms])
        rows.append({"arm": arm, "seeds": len(seeds), "live_success_mean": succ.mean(), "live_success_std": succ.std(),
                     "per_seed": " ".join(f"{x:.2f}" for x in succ),
                     "steps_to_50": _mean_steps([steps_to(c, 0.5) for c in cs], a.steps),
                     "steps_to_80": _mean_steps([steps_to(c, 0.8) for c in cs], a.steps),
                     "random_success": float(np.mean([m["random_policy"]["success_rate"] for m in ms])),
                     "train_steps_per_s": float(np.mean([m["steps_per_second"] for m in ms]))})
    head = (f"Command: `python benchmarks/learn_gui.py {' '.join(sys.argv[1:])}`\n\n"
            f"Task `{a.task}`: trained on Grounding-v0 ({a.train_seeds} recorded seeds), judged live in Chromium "
            f"(final: {a.final_episodes} episodes, deterministic; during training: {a.eval_episodes} every "
            f"{a.eval_every} steps).\n\n| arm | final live success (mean ± std) | per seed | steps to 50% live | "
            "steps to 80% live | random policy | train steps/s |\n|---|---|---|---|---|---|---|")
    lines = [head] + [f"| {r['arm']} | {r['live_success_mean']:.0%} ± {r['live_success_std']:.0%} | {r['per_seed']} | "
                      f"{r['steps_to_50']} | {r['steps_to_80']} | {r['random_success']:.0%} | "
                      f"{r['train_steps_per_s']:.0f} |" for r in rows]
    write_summary(out, rows, "\n".join(lines) + "\n")
    _plot_single(out / f"curve_{a.task.replace('/', '_')}.png", curves, a.task, a.steps)
    return "\n".join(lines)


def _plot_single(path: Path, curves: dict, task: str, steps: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for arm, cs in curves.items():
        grid = sorted({e["steps"] for c in cs for e in c})
        mean = [np.mean([next((e["success_rate"] for e in c if e["steps"] == g), np.nan) for c in cs]) for g in grid]
        ax.plot(grid, mean, marker="o", ms=3, color=COLORS.get(arm), label=f"{arm} ({len(cs)} seeds)")
    for level in (0.5, 0.8):
        ax.axhline(level, color="black", lw=0.5, ls=":")
    ax.set(xlabel="env steps (Grounding-v0)", ylabel="live success (Chromium)", ylim=(-0.02, 1.02), xlim=(0, steps),
           title=f"{task}: one policy from scratch")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _gui_eval(run_dir: Path, data: Path, split: str, per_task: int) -> dict:
    """The run's policy on ``split``, replayed and live (cached in the run dir)."""
    path = run_dir / f"gui_eval_{split}.json"
    if not path.exists():
        proc = subprocess.run([sys.executable, "-c", "from rewardgym.agents.gui_eval import main; "
                               "raise SystemExit(main())", str(run_dir), "--dataset", str(data), "--split", split,
                               "--per-task", str(per_task)], capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"gui eval of {run_dir} failed: {proc.stderr.strip()[-2000:]}")
        os.replace(run_dir / "gui_eval.json", path)
    return json.loads(path.read_text())


def bench_multi(a, extra: list[str], out: Path) -> str:
    data = Path(a.data) / "multi"
    ensure_dataset(data, MULTI_TASKS, a.train_seeds, HELD_OUT_TASKS)
    arms = parse_list(a.arms, list(ARMS), "arm", "learn_gui")
    seeds = [int(s) for s in parse_list(a.seeds)]
    base = [f"env.kwargs.dataset={data.resolve()}", f"agent.warm_start.epochs={a.warm_epochs}",
            f"eval.episodes={a.final_episodes}", live_env(MULTI_TASKS[0])]

    def one(arm: str, seed: int) -> tuple:
        run_dir = out / arm / f"seed{seed}"
        steps = 0 if arm == "warm_only" else a.steps
        run_cell(run_dir, base + ARMS[arm] + [f"seed={seed}", f"agent.total_timesteps={steps}"] + extra,
                 f"{arm} seed {seed}")
        return _gui_eval(run_dir, data, "test", a.per_task), _gui_eval(run_dir, data, "test_tasks", a.per_task)

    with ThreadPoolExecutor(max(1, a.jobs)) as pool:
        # the first seed's warm start is trained once, then read from the cache by the other arms
        firsts = {s: pool.submit(one, arms[0], s) for s in seeds}
        done = {(arms[0], s): f.result() for s, f in firsts.items()}
        futures = {(arm, s): pool.submit(one, arm, s) for arm in arms[1:] for s in seeds}
        done.update({c: f.result() for c, f in futures.items()})
    tasks = sorted(done[(arms[0], seeds[0])][0]["tasks"])
    rows = []
    for arm in arms:
        test = [done[(arm, s)][0] for s in seeds]
        held = [done[(arm, s)][1] for s in seeds]
        live = np.array([[r["tasks"][t]["live_success"] for t in tasks] for r in test]).mean(axis=0)
        replay = np.array([[r["tasks"][t]["dataset_success"] for t in tasks] for r in test]).mean(axis=0)
        rows.append({"arm": arm, "seeds": len(seeds), "live_task_mean": float(live.mean()),
                     "replay_task_mean": float(replay.mean()), "tasks_live_80": int((live >= 0.8).sum()),
                     "tasks": len(tasks), "held_out_live": float(np.mean([r["task_mean_live"] for r in held])),
                     "per_seed_live": " ".join(f"{r['task_mean_live']:.2f}" for r in test),
                     **{f"live:{t}": float(v) for t, v in zip(tasks, live)},
                     **{f"replay:{t}": float(v) for t, v in zip(tasks, replay)}})
    head = (f"Command: `python benchmarks/learn_gui.py {' '.join(sys.argv[1:])}`\n\n"
            f"One policy over {len(tasks)} click tasks ({a.train_seeds} recorded seeds each), warm start "
            f"{a.warm_epochs} epochs shared by every arm, then {a.steps:,} PPO steps; judged on {a.per_task} held-out "
            "seeds per task, replayed (box hit) and live in Chromium (the page's own check), same episodes.\n\n"
            "| arm | live success, mean over tasks | replayed | tasks >= 80% live | held-out tasks, live | "
            "per seed (live) |\n|---|---|---|---|---|---|")
    lines = [head] + [f"| {r['arm']} | {r['live_task_mean']:.0%} | {r['replay_task_mean']:.0%} | {r['tasks_live_80']} "
                      f"of {r['tasks']} | {r['held_out_live']:.0%} | {r['per_seed_live']} |" for r in rows]
    lines += ["", "Live success per task (mean over seeds; replayed in brackets):", "",
              "| task | " + " | ".join(arms) + " |", "|---|" + "---|" * len(arms)]
    for t in tasks:
        lines.append(f"| {t} | " + " | ".join(f"{r['live:' + t]:.0%} ({r['replay:' + t]:.0%})" for r in rows) + " |")
    write_summary(out, rows, "\n".join(lines) + "\n")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> str:
    raw, argv, extra = split_argv(argv)
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("bench", choices=["single", "multi"])
    p.add_argument("--task", default="click-shape", help="single: the task")
    p.add_argument("--arms", default=None, help="comma list of arms (default: all of the benchmark's)")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--steps", type=int, default=60_000)
    p.add_argument("--train-seeds", default=None, help="recorded training seeds (single 0:4000, multi 0:1000)")
    p.add_argument("--eval-every", type=int, default=5000, help="single: live evaluation every N steps")
    p.add_argument("--eval-episodes", type=int, default=50, help="single: live episodes of each evaluation")
    p.add_argument("--final-episodes", type=int, default=100)
    p.add_argument("--warm-epochs", type=int, default=8, help="multi: supervised warm-start epochs")
    p.add_argument("--per-task", type=int, default=100, help="multi: held-out episodes per task")
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--data", default="outputs/gui", help="where datasets are recorded")
    p.add_argument("--out", default="outputs/learn_gui")
    a = p.parse_args(argv)
    a.train_seeds = a.train_seeds or ("0:4000" if a.bench == "single" else "0:1000")
    if a.arms is None:
        a.arms = ",".join(k for k in ARMS if a.bench == "multi" or k != "warm_only")
    out = Path(a.out) / (f"single_{a.task.replace('/', '_')}" if a.bench == "single" else "multi")
    out.mkdir(parents=True, exist_ok=True)
    text = (bench_single if a.bench == "single" else bench_multi)(a, extra, out)
    print(text)
    return text


if __name__ == "__main__":
    main()
