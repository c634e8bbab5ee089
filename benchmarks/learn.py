"""Learning benchmark: does a reward train the task? env x reward arm x agent x seed, judged by the ground truth.

Each cell is one ``rewardgym-train`` run (a fresh subprocess, ``--jobs`` at a time) with the
env config, the reward arm's overrides, ``agent=<agent>`` and ``seed=<seed>``; every arm of an
env gets the same agent settings, budget and (with ``--demos N``) the same behaviour-cloning
start. An arm is a name and its ``rewardgym-train`` overrides; the presets:

* ``keypoint`` (KAGI, issue-13 style): ``none`` (ground truth), ``keypoint``, ``constant``;
* ``clip`` (VLM-RM style): ``none``, ``clip_captions`` (the caption-only bundled CLIP, the
  zero-shot stand-in), ``clip_graded`` (the 96-px bundled CLIP trained partly on graded targets,
  ``rewardgym-clip-small``: the default when the earlier tables were made), ``clip_graded_64`` (the
  same recipe at 64 px, ``rewardgym-clip-small-64``: the default now), ``constant``.

``--arms name=override+override,...`` adds arms of your own (``+`` separates overrides). Written
into ``--out``:

* ``summary.md`` / ``summary.csv``: per env, agent and arm, the final policy's ground-truth
  success rate at the episode's last step and at any step (Meta-World's own protocol) and its
  return (deterministic, ``--eval-episodes`` episodes, mean and std over seeds) with a random
  policy's on the same seeds beside it;
* ``curve_<env>[_<agent>].png``: ground-truth success of the training episodes (stochastic
  policy) against env steps (moving average, mean over seeds; one line per arm), the final
  deterministic evaluation as a dot at the end, the random policy dashed;
* ``<env>/<agent>/<arm>/seed<k>/``: each run's own output (``metrics.json``, ``monitor/``, ...).

    nice -n 10 .venv/bin/python benchmarks/learn.py --envs humanoid_kneel,humanoid_lotus \\
        --preset clip --agents ppo,sac --steps 300000 --seeds 0,1,2 -- agent.n_envs=8
    nice -n 10 .venv/bin/python benchmarks/learn.py --envs cartpole --preset clip --steps 100000

Extra ``rewardgym-train`` overrides for every run go after ``--`` (e.g. ``-- agent.n_envs=8``).
A finished cell (its ``metrics.json`` exists) is not run again: delete it to redo. A cell that
was killed part-way runs again with ``resume=true``: from its last checkpoint when there is one
(``--checkpoint-every N`` env steps; default none before the end, which keeps long grids small on
disk; a SAC checkpoint holds its replay buffer unless ``-- agent.replay_buffer.checkpoint=false``),
else from scratch. ``--collect``
runs nothing and writes the tables and curves of whichever cells of the grid have finished
(e.g. after several invocations into one ``--out`` with different arms per env); with ``--reeval``
it first evaluates again the finished cells measured before success at any step was recorded
(the stored last-step success must come out the same, else nothing is written).
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

PRESETS: dict[str, dict[str, list[str]]] = {
    "keypoint": {"none": ["reward=none"], "keypoint": ["reward=keypoint"], "constant": ["reward=constant"]},
    "clip": {"none": ["reward=none"],
             "clip_captions": ["reward=clip", "reward.model=rewardgym-clip-captions"],
             "clip_graded": ["reward=clip", "reward.model=rewardgym-clip-small"],
             "clip_graded_64": ["reward=clip"],
             "constant": ["reward=constant"]},
}
COLORS = {"none": "tab:green", "keypoint": "tab:blue", "clip_captions": "tab:purple", "clip_graded": "tab:blue",
          "clip_graded_64": "tab:cyan",
          "constant": "tab:gray"}
AGENTS = ("ppo", "sac")


def _train_cmd() -> list[str]:
    return [sys.executable, "-c", "from rewardgym.agents.train import main; main()"]


def run_cell(out: Path, env: str, agent: str, arm: str, overrides: list[str], seed: int, steps: int, demos: int,
             eval_episodes: int, extra: list[str], tag: str = "learn", checkpoint_every: int = 0) -> dict:
    run_dir = out / env / agent / arm / f"seed{seed}"
    metrics_path = run_dir / "metrics.json"
    if metrics_path.exists():
        return json.loads(metrics_path.read_text())
    args = [f"env={env}", f"agent={agent}", *overrides, f"seed={seed}", f"agent.total_timesteps={steps}",
            f"eval.episodes={eval_episodes}", f"hydra.run.dir={run_dir}", "resume=true",
            f"checkpoint_freq={checkpoint_every if checkpoint_every > 0 else max(steps, 1_000_000)}"]
    if demos:
        args.append(f"agent.demos={demos}")
    t0 = time.perf_counter()
    proc = subprocess.run(_train_cmd() + args + extra, capture_output=True, text=True,
                          env={**os.environ, "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")})
    if proc.returncode != 0:
        raise RuntimeError(f"{env}/{agent}/{arm}/seed{seed} failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    print(f"[{tag}] {env:16s} {agent:4s} {arm:14s} seed {seed}: {time.perf_counter() - t0:6.0f} s", flush=True)
    return json.loads(metrics_path.read_text())


def _curve(run_dir: Path, grid: np.ndarray, window: int = 50) -> np.ndarray:
    from rewardgym.agents.monitor_data import load_episodes, smooth

    ep = load_episodes(run_dir)
    if len(ep["success"]) == 0:
        return np.full(len(grid), np.nan)
    return np.interp(grid, ep["timesteps"], smooth(ep["success"], window), left=np.nan)


def summarize(results: dict, envs, agents, arms, seeds, steps: int) -> list[dict]:
    rows = []
    for env in envs:
        for agent in agents:
            for arm in arms:
                ms = [results[(env, agent, arm, s)] for s in seeds if (env, agent, arm, s) in results]
                if not ms:
                    continue
                succ = np.array([m["eval"]["success_rate"] for m in ms])
                ret = np.array([m["eval"]["return_mean"] for m in ms])
                anys = [m["eval"].get("success_any_rate") for m in ms]   # runs before it was measured lack it
                rows.append({"env": env, "agent": agent, "reward": arm, "seeds": len(ms), "steps": steps,
                             "success_mean": succ.mean(), "success_std": succ.std(), "return_mean": ret.mean(),
                             "success_any_mean": None if None in anys else float(np.mean(anys)),
                             "random_success": np.mean([m["random_policy"]["success_rate"] for m in ms]),
                             "random_return": np.mean([m["random_policy"]["return_mean"] for m in ms]),
                             "per_seed_success": " ".join(f"{x:.2f}" for x in succ),
                             "wall_time_s": float(np.mean([m["wall_time_s"] for m in ms]))})
    return rows


def write_summary(out: Path, rows: list[dict], text: str) -> None:
    """``summary.csv`` (one row per dict) and ``summary.md`` (``text``) in ``out``."""
    with open(out / "summary.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["env"])
        writer.writeheader()
        writer.writerows(rows)
    (out / "summary.md").write_text(text)


def write_tables(out: Path, rows: list[dict], command: str, label: str = "env") -> str:
    lines = [f"Command: `{command}`", "",
             f"| {label} | agent | reward | final GT success (mean ± std) | per seed | success at any step "
             "| GT return | random success | random return | train s |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        anys = "–" if r.get("success_any_mean") is None else f"{r['success_any_mean']:.0%}"
        lines.append(f"| {r['env']} | {r['agent']} | {r['reward']} | {r['success_mean']:.0%} ± {r['success_std']:.0%} | "
                     f"{r['per_seed_success']} | {anys} | {r['return_mean']:.1f} | {r['random_success']:.0%} | "
                     f"{r['random_return']:.1f} | {r['wall_time_s']:.0f} |")
    text = "\n".join(lines) + "\n"
    write_summary(out, rows, text)
    return text


def plot_curves(out: Path, results: dict, envs, agents, arms, seeds, steps: int, name=lambda env, agent: env) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid = np.linspace(0, steps, 60)
    for env in envs:
        for agent in agents:
            cells = [(arm, [s for s in seeds if (env, agent, arm, s) in results]) for arm in arms]
            if not any(ss for _, ss in cells):
                continue
            fig, ax = plt.subplots(figsize=(5.5, 3.6))
            random_levels = []
            extra = iter(["tab:orange", "tab:brown", "tab:olive", "tab:cyan", "tab:pink"] * 4)
            colors = {arm: COLORS.get(arm) or next(extra) for arm in arms}  # line and dot alike
            for arm, ss in cells:
                if not ss:
                    continue
                curves = [_curve(out / env / agent / arm / f"seed{s}", grid) for s in ss]
                random_levels += [results[(env, agent, arm, s)]["random_policy"]["success_rate"] for s in ss]
                with np.errstate(all="ignore"):
                    mean = np.nanmean(np.vstack(curves), axis=0)
                label = "ground truth" if arm == "none" else arm
                ax.plot(grid, mean, color=colors[arm], label=f"{label} ({len(ss)} seeds)")
                final = np.mean([results[(env, agent, arm, s)]["eval"]["success_rate"] for s in ss])
                ax.plot([steps], [final], "o", color=colors[arm], ms=7, mec="black")
            ax.axhline(float(np.mean(random_levels)), color="tab:red", ls="--", label="random policy")
            ax.plot([], [], "o", color="white", mec="black", label="final policy, deterministic eval")
            ax.set(xlabel="env steps", ylabel="ground-truth success", ylim=(-0.02, 1.02), title=f"{env} ({agent})")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8, loc="best")
            fig.tight_layout()
            fig.savefig(out / f"curve_{name(env, agent)}.png", dpi=100)
            plt.close(fig)


def split_top(text: str, sep: str = ",") -> list[str]:
    """``text`` split at each ``sep`` outside brackets, so an override's list value
    (``reward.baseline_prompts=[a,b]``) stays in one piece."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        depth += (ch in "[{(") - (ch in "]})")
        if ch == sep and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    return parts + [cur]


def parse_list(text: str, valid=None, what: str = "value", prog: str = "learn") -> list[str]:
    items = [t.strip() for t in split_top(text) if t.strip()]
    bad = [t for t in items if valid is not None and t not in valid]
    if bad:
        raise SystemExit(f"{prog}: unknown {what} {bad}; valid: {', '.join(valid)}")
    return items


def parse_arms(preset: str | None, arms: str | None, keep: str | None = None) -> dict[str, list[str]]:
    """The preset's arms (only those named in ``keep``, in its order, if given), then the
    ``name=override+override`` arms of ``arms``."""
    out = dict(PRESETS[preset]) if preset else {}
    if keep:
        out = {r: out[r] for r in parse_list(keep, list(out), "reward arm")}
    for item in parse_list(arms or ""):
        name, sep, overrides = item.partition("=")
        if not sep or not name:
            raise SystemExit(f"learn: --arms entries are name=override+override, got {item!r}")
        out[name] = [o for o in split_top(overrides, "+") if o]
    if not out:
        raise SystemExit("learn: no reward arms: give --preset and/or --arms")
    return out


DEFAULT_STEPS = 100_000


def collect(out: Path, envs, agents, arms, seeds) -> dict:
    """The finished cells of the grid under ``out`` (their ``metrics.json``), running nothing."""
    cells = [(e, a, r, s) for e in envs for a in agents for r in arms for s in seeds]
    paths = {c: out / c[0] / c[1] / c[2] / f"seed{c[3]}" / "metrics.json" for c in cells}
    return {c: json.loads(p.read_text()) for c, p in paths.items() if p.exists()}


def reevaluate(out: Path, results: dict) -> int:
    """Adds ``success_any_rate`` to finished cells measured before it existed: their final policy
    evaluated again exactly as ``rewardgym-train`` did (same episodes, seed and VecNormalize
    statistics, deterministic), which must reproduce the stored last-step success rate.
    Returns the number of cells updated."""
    from rewardgym.agents.evaluate import load_run, rollout_stats

    done = 0
    for (env, agent, arm, seed), metrics in results.items():
        if "success_any_rate" in metrics.get("eval", {}):
            continue
        run_dir = out / env / agent / arm / f"seed{seed}"
        cfg, model, vecnorm = load_run(run_dir)
        stats = rollout_stats(model, cfg, int(metrics["eval"]["episodes"]), int(cfg.seed) + 10_000, vecnorm)
        if abs(stats["success_rate"] - metrics["eval"]["success_rate"]) > 1e-9:
            raise SystemExit(f"learn: {run_dir}: evaluated again, success {stats['success_rate']} differs from the "
                             f"stored {metrics['eval']['success_rate']}; not updated")
        metrics["eval"]["success_any_rate"] = stats["success_any_rate"]
        (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
        print(f"[learn] {env} {agent} {arm} seed {seed}: success at any step {stats['success_any_rate']:.2f}", flush=True)
        done += 1
    return done


def run_grid(out: Path, envs, agents, arms: dict[str, list[str]], seeds, steps: int, demos: int, eval_episodes: int,
             jobs: int, extra: list[str], tag: str = "learn", failures: list | None = None,
             checkpoint_every: int = 0) -> dict:
    """Runs every (env, agent, arm, seed) cell; returns the finished cells' metrics. With ``failures``
    (a list), a cell whose run fails (or is killed) is reported on stderr and appended there, and the
    other cells' results are still returned; without it the first failure is raised."""
    cells = [(e, a, r, s) for e in envs for a in agents for r in arms for s in seeds]
    with ThreadPoolExecutor(max(1, jobs)) as pool:
        futures = {c: pool.submit(run_cell, out, c[0], c[1], c[2], arms[c[2]], c[3], steps, demos, eval_episodes,
                                  extra, tag, checkpoint_every) for c in cells}
        results = {}
        for c, f in futures.items():
            try:
                results[c] = f.result()
            except RuntimeError as err:
                if failures is None:
                    raise
                failures.append(c)
                print(f"[{tag}] {err}", file=sys.stderr, flush=True)
        return results


def split_argv(argv: list[str] | None) -> tuple[list[str], list[str], list[str]]:
    """``(all arguments, the script's own, the rewardgym-train overrides after --)``."""
    raw = list(sys.argv[1:] if argv is None else argv)
    if "--" in raw:
        return raw, raw[:raw.index("--")], raw[raw.index("--") + 1:]
    return raw, list(raw), []


def main(argv: list[str] | None = None) -> str:
    raw, argv, extra = split_argv(argv)
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--envs", required=True, help="env config names, e.g. humanoid_kneel,cartpole")
    p.add_argument("--preset", choices=sorted(PRESETS), default=None)
    p.add_argument("--rewards", default=None, help="keep only these arms of the preset (comma list), in this order")
    p.add_argument("--arms", default=None, help="extra arms: name=override+override,...")
    p.add_argument("--agents", default="ppo")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--steps", type=int, default=None,
                   help=f"env steps per run (default {DEFAULT_STEPS}; with --collect: the runs' own budget, from metrics.json)")
    p.add_argument("--demos", type=int, default=0, help="behaviour-clone N expert demos first (every arm alike)")
    p.add_argument("--eval-episodes", type=int, default=50)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--checkpoint-every", type=int, default=0, metavar="N",
                   help="checkpoint each run every N env steps, so a killed grid continues where it stopped "
                        "when run again (default 0: only at the end)")
    p.add_argument("--out", default="outputs/learn")
    p.add_argument("--collect", action="store_true",
                   help="run nothing: tables and curves of the cells already finished under --out")
    p.add_argument("--reeval", action="store_true",
                   help="with --collect: first evaluate again the finished cells that lack success at any step")
    a = p.parse_args(argv)
    if a.checkpoint_every < 0:
        raise SystemExit(f"learn: --checkpoint-every must be >= 0 env steps, got {a.checkpoint_every}")
    arms = parse_arms(a.preset, a.arms, a.rewards)
    envs, agents = parse_list(a.envs), parse_list(a.agents, AGENTS, "agent")
    seeds = [int(s) for s in parse_list(a.seeds)]
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    failed: list = []
    if a.collect:
        results = collect(out, envs, agents, list(arms), seeds)
        if not results:
            raise SystemExit(f"learn: no finished cells under {out} for these envs, agents, arms and seeds")
        if a.reeval:
            reevaluate(out, results)
        if a.steps is None:  # the curves' axis and the table's steps column: the longest finished run's budget
            a.steps = max((int(m.get("total_timesteps", 0)) for m in results.values()), default=0) or DEFAULT_STEPS
    else:
        a.steps = DEFAULT_STEPS if a.steps is None else a.steps
        results = run_grid(out, envs, agents, arms, seeds, a.steps, a.demos, a.eval_episodes, a.jobs, extra,
                           failures=failed, checkpoint_every=a.checkpoint_every)
        if not results:
            raise SystemExit(f"learn: every cell failed ({len(failed)})")
    rows = summarize(results, envs, agents, list(arms), seeds, a.steps)
    text = write_tables(out, rows, ("python benchmarks/learn.py " + " ".join(raw)).strip())
    plot_curves(out, results, envs, agents, list(arms), seeds, a.steps,
                name=lambda env, agent: env if len(agents) == 1 else f"{env}_{agent}")
    print(text)
    if failed:  # the finished cells are tabulated above; say which were not and exit non-zero
        raise SystemExit("learn: failed cells, not in the tables: "
                         + ", ".join(f"{e}/{ag}/{r}/seed{sd}" for e, ag, r, sd in failed))
    return text


if __name__ == "__main__":
    main()
