"""Learning benchmark: does a reward train the task? task x reward x seed, judged by the ground truth.

Each cell is one ``rewardgym-train`` run (a fresh subprocess, ``--jobs`` at a time) with
``env=manip_<task> reward=<reward> seed=<seed>``, the same PPO settings, budget and (with
``--demos N``) the same behaviour-cloning start for every reward. Rewards: ``none`` (the env's
ground truth), ``keypoint`` (KAGI, 3-D), ``constant`` (no information: the control arm).
Written into ``--out``:

* ``summary.md`` / ``summary.csv``: per task and reward, the final policy's ground-truth success
  rate and return (deterministic, ``--eval-episodes`` episodes, mean and std over seeds) with a
  random policy's on the same seeds beside it;
* ``curve_<task>.png``: ground-truth success rate of the training episodes (stochastic policy)
  against env steps (moving average, mean over seeds; one line per reward), the final
  deterministic evaluation as a dot at the end, the random policy dashed;
* ``<task>/<reward>/seed<k>/``: each run's own output (``metrics.json``, ``monitor/``, ...).

    nice -n 10 .venv/bin/python benchmarks/learn_keypoint.py --tasks reach --steps 75000 --seeds 0,1,2
    nice -n 10 .venv/bin/python benchmarks/learn_keypoint.py --tasks push,button_press,drawer_open \\
        --steps 100000 --demos 20 --jobs 2

Extra ``rewardgym-train`` overrides for every run go after ``--`` (e.g. ``-- agent.n_envs=8``).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

REWARDS = ("none", "keypoint", "constant")
TASKS = ("reach", "push", "pick_place", "stack", "drawer_open", "button_press")


def _train_cmd() -> list[str]:
    return [sys.executable, "-c", "from rewardgym.agents.train import main; main()"]


def run_cell(out: Path, task: str, reward: str, seed: int, steps: int, demos: int, eval_episodes: int,
             extra: list[str]) -> dict:
    run_dir = out / task / reward / f"seed{seed}"
    metrics_path = run_dir / "metrics.json"
    if metrics_path.exists():  # a finished cell is not run again (delete it to redo)
        return json.loads(metrics_path.read_text())
    args = [f"env=manip_{task}", f"reward={reward}", f"seed={seed}", f"agent.total_timesteps={steps}",
            f"eval.episodes={eval_episodes}", f"hydra.run.dir={run_dir}", "checkpoint_freq=1000000"]
    if demos:
        args.append(f"agent.demos={demos}")
    t0 = time.perf_counter()
    proc = subprocess.run(_train_cmd() + args + extra, capture_output=True, text=True,
                          env={**os.environ, "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")})
    if proc.returncode != 0:
        raise RuntimeError(f"{task}/{reward}/seed{seed} failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    print(f"[learn_keypoint] {task:12s} {reward:9s} seed {seed}: {time.perf_counter() - t0:6.0f} s", flush=True)
    return json.loads(metrics_path.read_text())


def _curve(run_dir: Path, grid: np.ndarray, window: int = 50) -> np.ndarray:
    from rewardgym.agents.monitor_data import load_episodes, smooth

    ep = load_episodes(run_dir)
    if len(ep["success"]) == 0:
        return np.full(len(grid), np.nan)
    s = smooth(ep["success"], window)
    return np.interp(grid, ep["timesteps"], s, left=np.nan)


def write_outputs(out: Path, tasks, rewards, seeds, results: dict, steps: int, command: str) -> str:
    rows = []
    for task in tasks:
        for reward in rewards:
            ms = [results[(task, reward, s)] for s in seeds if (task, reward, s) in results]
            if not ms:
                continue
            succ = np.array([m["eval"]["success_rate"] for m in ms])
            ret = np.array([m["eval"]["return_mean"] for m in ms])
            rows.append({"task": task, "reward": reward, "seeds": len(ms), "steps": steps,
                         "success_mean": succ.mean(), "success_std": succ.std(), "return_mean": ret.mean(),
                         "random_success": np.mean([m["random_policy"]["success_rate"] for m in ms]),
                         "random_return": np.mean([m["random_policy"]["return_mean"] for m in ms]),
                         "per_seed_success": " ".join(f"{x:.2f}" for x in succ),
                         "wall_time_s": float(np.mean([m["wall_time_s"] for m in ms]))})
    with open(out / "summary.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["task"])
        writer.writeheader()
        writer.writerows(rows)
    lines = [f"Command: `{command}`", "",
             "| task | reward | final GT success (mean ± std) | per seed | GT return | random success | random return | train s |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['task']} | {r['reward']} | {r['success_mean']:.0%} ± {r['success_std']:.0%} | "
                     f"{r['per_seed_success']} | {r['return_mean']:.1f} | {r['random_success']:.0%} | "
                     f"{r['random_return']:.1f} | {r['wall_time_s']:.0f} |")
    text = "\n".join(lines) + "\n"
    (out / "summary.md").write_text(text)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid = np.linspace(0, steps, 60)
    colors = {"none": "tab:green", "keypoint": "tab:blue", "constant": "tab:gray"}
    for task in tasks:
        fig, ax = plt.subplots(figsize=(5.5, 3.6))
        random_levels = []
        for reward in rewards:
            curves = [_curve(out / task / reward / f"seed{s}", grid) for s in seeds if (task, reward, s) in results]
            if not curves:
                continue
            random_levels += [results[(task, reward, s)]["random_policy"]["success_rate"] for s in seeds
                              if (task, reward, s) in results]
            with np.errstate(all="ignore"):
                mean = np.nanmean(np.vstack(curves), axis=0)
            label = "ground truth" if reward == "none" else reward
            ax.plot(grid, mean, color=colors.get(reward), label=f"{label} ({len(curves)} seeds)")
            final = np.mean([results[(task, reward, s)]["eval"]["success_rate"] for s in seeds
                             if (task, reward, s) in results])
            ax.plot([steps], [final], "o", color=colors.get(reward), ms=7, mec="black")
        if random_levels:
            ax.axhline(float(np.mean(random_levels)), color="tab:red", ls="--", label="random policy")
        ax.set_xlabel("env steps")
        ax.set_ylabel("ground-truth success")
        ax.plot([], [], "o", color="white", mec="black", label="final policy, deterministic eval")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(f"manip_{task}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
        fig.tight_layout()
        fig.savefig(out / f"curve_{task}.png", dpi=100)
        plt.close(fig)
    return text


def _list(text: str, valid=None) -> list[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    if valid is not None:
        bad = [t for t in items if t not in valid]
        if bad:
            raise SystemExit(f"learn_keypoint: unknown {bad}; valid: {', '.join(valid)}")
    return items


def main(argv: list[str] | None = None) -> str:
    argv = list(sys.argv[1:] if argv is None else argv)
    raw = list(argv)
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tasks", default="reach")
    p.add_argument("--rewards", default=",".join(REWARDS))
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--steps", type=int, default=75_000)
    p.add_argument("--demos", type=int, default=0, help="behaviour-clone N expert demos first (every reward alike)")
    p.add_argument("--eval-episodes", type=int, default=50)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--out", default="outputs/learn_keypoint")
    a = p.parse_args(argv)
    tasks, rewards = _list(a.tasks, TASKS), _list(a.rewards, REWARDS)
    seeds = [int(s) for s in _list(a.seeds)]
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    cells = [(t, r, s) for t in tasks for r in rewards for s in seeds]
    with ThreadPoolExecutor(max(1, a.jobs)) as pool:
        futures = {c: pool.submit(run_cell, out, *c, a.steps, a.demos, a.eval_episodes, extra) for c in cells}
        results = {c: f.result() for c, f in futures.items()}
    command = "python benchmarks/learn_keypoint.py " + " ".join(raw)
    text = write_outputs(out, tasks, rewards, seeds, results, a.steps, command.strip())
    print(text)
    return text


if __name__ == "__main__":
    main()
