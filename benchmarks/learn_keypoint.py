"""Learning benchmark of the keypoint reward on the manipulation tasks: ``benchmarks/learn.py``
with ``--preset keypoint`` (rewards ``none`` = the env's ground truth, ``keypoint`` = KAGI in 3-D,
``constant`` = no information) and tasks named without their ``manip_`` prefix.

    nice -n 10 .venv/bin/python benchmarks/learn_keypoint.py --tasks reach --steps 75000 --seeds 0,1,2
    nice -n 10 .venv/bin/python benchmarks/learn_keypoint.py --tasks push,button_press,drawer_open \\
        --steps 100000 --demos 20 --jobs 2

Writes ``summary.md`` / ``summary.csv``, ``curve_<task>.png`` and each run's output under
``manip_<task>/ppo/<reward>/seed<k>/`` in ``--out``. Extra ``rewardgym-train`` overrides for every
run go after ``--`` (e.g. ``-- agent.n_envs=8``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from learn import PRESETS, parse_list, plot_curves, run_grid, split_argv, summarize, write_tables  # noqa: E402

TASKS = ("reach", "push", "pick_place", "stack", "drawer_open", "button_press")


def main(argv: list[str] | None = None) -> str:
    raw, argv, extra = split_argv(argv)
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tasks", default="reach")
    p.add_argument("--rewards", default=",".join(PRESETS["keypoint"]))
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--steps", type=int, default=75_000)
    p.add_argument("--demos", type=int, default=0, help="behaviour-clone N expert demos first (every reward alike)")
    p.add_argument("--eval-episodes", type=int, default=50)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--out", default="outputs/learn_keypoint")
    a = p.parse_args(argv)
    tasks = parse_list(a.tasks, TASKS, "task", "learn_keypoint")
    arms = {r: PRESETS["keypoint"][r] for r in parse_list(a.rewards, list(PRESETS["keypoint"]), "reward",
                                                            "learn_keypoint")}
    seeds = [int(s) for s in parse_list(a.seeds)]
    envs = [f"manip_{t}" for t in tasks]
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    results = run_grid(out, envs, ["ppo"], arms, seeds, a.steps, a.demos, a.eval_episodes, a.jobs, extra,
                       tag="learn_keypoint")
    rows = summarize(results, envs, ["ppo"], list(arms), seeds, a.steps)
    for row in rows:
        row["env"] = row["env"].removeprefix("manip_")
    text = write_tables(out, rows, ("python benchmarks/learn_keypoint.py " + " ".join(raw)).strip(), label="task")
    plot_curves(out, results, envs, ["ppo"], list(arms), seeds, a.steps,
                name=lambda env, agent: env.removeprefix("manip_"))
    print(text)
    return text


if __name__ == "__main__":
    main()
