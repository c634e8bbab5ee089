"""rewardgym-tune on a task where the default PPO is weak with the ground truth (docs/tuning.md).

1. A study with the median pruner and the same study without pruning (``rewardgym-tune``; each
   resumes where it stopped when run again, so this script can be killed and rerun).
2. The best trial of each study and the default configuration, rerun on fresh seeds at the same
   budget with ``rewardgym-train`` (final deterministic policy, ``--eval-episodes`` episodes).
3. A markdown table: the studies' env steps (complete + pruned trials), best values, and the
   reruns' ground-truth success (mean over seeds). A rerun's folder is named by a hash of its
   overrides: a configuration is rerun once, whichever study it is (or was) the best of.

``--trials`` may be changed between runs of a study (``tune.n_trials`` is not one of the settings
a study keeps). Reruns of disjoint ``--seeds`` may run side by side.

Example (what docs/tuning.md reports)::

    nice -n 10 .venv/bin/python benchmarks/tune_push.py --out /work/tunebench --skip unpruned,reruns &
    nice -n 10 .venv/bin/python benchmarks/tune_push.py --out /work/tunebench --skip pruned,reruns   # beside it
    nice -n 10 .venv/bin/python benchmarks/tune_push.py --out /work/tunebench --skip pruned,unpruned # reruns
    # the default's reruns need no study: they may run beside the studies
    nice -n 10 .venv/bin/python benchmarks/tune_push.py --out /work/tunebench --skip pruned,unpruned,best
    nice -n 10 .venv/bin/python benchmarks/tune_push.py --out /work/tunebench --collect   # the table only
"""
from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path

PY = sys.executable


def task_args(args) -> list[str]:
    """The trials' (and the reruns') rewardgym-train overrides."""
    return [f"env={args.env}", "reward=none", f"agent.demos={args.demos}", f"agent.total_timesteps={args.steps}",
            f"eval.every={args.every}", "eval.every_episodes=10", "eval.episodes=20"]


def study_args(args, pruner: str) -> list[str]:
    name = f"{args.name}_{'pruned' if pruner != 'none' else 'unpruned'}"
    space = ["~search.space.agent.normalize",  # agent.demos refuses VecNormalize'd observations
             # CPU time: no rollouts under 1024 steps nor 20 epochs (64 x 4 steps with 20 epochs trains
             # 40 minibatches per 256 env steps: ~170 steps/s on a loaded 2-core machine)
             "search.space.agent.ppo.n_steps.choices=[256,512,1024]",
             "search.space.agent.ppo.n_epochs.choices=[3,5,10]"]
    if args.demos:  # the clone's exploration, as PPO starts from it
        space.append("+search.space.agent.bc={std:{low:0.05,high:0.5,log:true}}")
    return task_args(args) + space + [
        f"seed={args.trial_seed}", f"tune.seeds_per_trial={args.seeds_per_trial}",
        f"tune.n_trials={args.trials}", f"tune.n_jobs={args.jobs}", f"tune.pruner={pruner}",
        "tune.startup_trials=5", "tune.seed=0", f"tune.study={name}", f"tune.dir={args.out / name}"] + (
        [f"tune.warmup={args.warmup}"] if args.warmup is not None and pruner != "none" else []) + (
        [f"tune.prune_after={args.prune_after}"] if args.prune_after is not None and pruner != "none" else [])


def run_study(args, pruner: str) -> None:
    cmd = [PY, "-m", "rewardgym.agents.tune"] + study_args(args, pruner)
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def best_line(study_dir: Path) -> list[str]:
    text = (study_dir / "best.txt").read_text().split()
    return text[1:]


def rerun(args, label: str, line: list[str], seed: int) -> dict:
    run_dir = args.out / "reruns" / f"{label}__seed{seed}"
    if (run_dir / "metrics.json").exists():
        return json.loads((run_dir / "metrics.json").read_text())
    keep = [o for o in line if not o.startswith(("seed=", "eval.every=", "eval.episodes="))]
    cmd = [PY, "-m", "rewardgym.agents.train", *keep, f"seed={seed}", "eval.every=0",
           f"eval.episodes={args.eval_episodes}", f"hydra.run.dir={run_dir}"]
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return json.loads((run_dir / "metrics.json").read_text())


def study_row(study_dir: Path) -> dict:
    rows = list(csvreader(study_dir / "summary.csv"))
    done = [r for r in rows if r["state"] in ("COMPLETE", "PRUNED")]
    complete = [r for r in done if r["state"] == "COMPLETE"]
    return {"trials": len(done), "pruned": len(done) - len(complete),
            "env_steps": sum(int(r["env_steps"] or 0) for r in done),
            "minutes": sum(float(r["minutes"] or 0) for r in done),
            "best": max((float(r[list(r)[2]]) for r in complete), default=None)}


def csvreader(path: Path):
    import csv

    with open(path, newline="") as f:
        yield from csv.DictReader(f)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="studies and reruns go here")
    parser.add_argument("--env", default="manip_push")
    parser.add_argument("--demos", type=int, default=20, help="behaviour-cloned expert demos (the README's push recipe)")
    parser.add_argument("--steps", type=int, default=30_000, help="PPO env steps per trial and rerun")
    parser.add_argument("--every", type=int, default=5_000, help="eval.every: what the pruner sees")
    parser.add_argument("--trials", type=int, default=24)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--seeds", default="1,2,3", help="fresh seeds of the reruns")
    parser.add_argument("--trial-seed", type=int, default=0, help="the trials' first seed (keep it apart from --seeds)")
    parser.add_argument("--seeds-per-trial", type=int, default=1,
                        help="tune.seeds_per_trial: a trial's value is the mean over this many seeds")
    parser.add_argument("--eval-episodes", type=int, default=50)
    parser.add_argument("--name", default="push")
    parser.add_argument("--pruner", default="median", choices=["median", "window", "halving"],
                        help="tune.pruner of the pruned study")
    parser.add_argument("--warmup", type=float, default=None, help="tune.warmup of the pruned study (default: the config's)")
    parser.add_argument("--prune-after", type=int, default=None,
                        help="tune.prune_after of the pruned study (default: the config's)")
    parser.add_argument("--skip", default="", help="comma list of: pruned, unpruned, reruns (all), default, best "
                        "(the reruns of the default, of the studies' best)")
    parser.add_argument("--collect", action="store_true", help="only tabulate what exists")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    bad = skip - {"pruned", "unpruned", "reruns", "default", "best"}
    if bad:
        parser.error(f"--skip: unknown {', '.join(sorted(bad))}")
    seeds = [int(s) for s in args.seeds.split(",")]
    studies = {"pruned": args.out / f"{args.name}_pruned", "unpruned": args.out / f"{args.name}_unpruned"}
    if not args.collect:
        for kind, pruner in (("pruned", args.pruner), ("unpruned", "none")):
            if kind not in skip:
                run_study(args, pruner)
    lines = ["| study | trials (pruned) | env steps | trial minutes (sum) | best trial (seed 0) |", "|---|---|---|---|---|"]
    rows = {k: study_row(d) for k, d in studies.items() if (d / "summary.csv").exists()}
    for kind, r in rows.items():
        best = "" if r["best"] is None else f"{r['best']:.2f}"
        lines.append(f"| {kind} | {r['trials']} ({r['pruned']}) | {r['env_steps']:,} | {r['minutes']:.0f} | {best} |")
    if len(rows) == 2 and rows["unpruned"]["env_steps"]:
        saved = 1 - rows["pruned"]["env_steps"] / rows["unpruned"]["env_steps"]
        same = rows["pruned"]["trials"] == rows["unpruned"]["trials"]
        lines.append(f"\nPruning saved {saved:.0%} of the env steps of the same study without pruning"
                     + ("." if same else " (not comparable yet: the studies have different numbers of trials)."))
    configs = {"default": task_args(args)}
    for kind, d in studies.items():  # both studies' best may be one configuration: rerun it once
        if (d / "best.txt").exists():
            line = best_line(d)
            same = next((label for label, other in configs.items() if other == line), None)
            configs[f"{same} = best of {kind}" if same else f"best of {kind}"] = configs.pop(same, line)
    lines += ["", f"| configuration | seeds | success per seed ({args.eval_episodes} episodes) | mean |",
              "|---|---|---|---|"]
    for label, line in configs.items():
        if not args.collect and ({"reruns", label.split(" ")[0]} & skip):
            continue
        # a rerun's folder names its configuration: a study whose best changes gets new reruns, and
        # the same configuration (the best of both studies, now or before) is rerun once
        slug = label.split(" ")[0] + "_" + hashlib.sha1(" ".join(line).encode()).hexdigest()[:8]
        done = []
        for seed in seeds:
            path = args.out / "reruns" / f"{slug}__seed{seed}" / "metrics.json"
            if args.collect:
                if path.exists():
                    done.append(json.loads(path.read_text())["eval"]["success_rate"])
            else:
                done.append(rerun(args, slug, line, seed)["eval"]["success_rate"])
        if done:
            per = ", ".join(f"{v:.0%}" for v in done)
            lines.append(f"| {label} | {len(done)} | {per} | {sum(done) / len(done):.0%} |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
