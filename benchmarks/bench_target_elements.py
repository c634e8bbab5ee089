"""What ``info["target_elements"]`` costs: Browser-v0 resets and steps with the targets' accessible
role and name read (``Element.computedRole`` / ``computedName`` in the page call that reads the
boxes, once per element and episode) against the same env with that read replaced by empty
strings, rounds alternated, medians.

    nice -n 10 .venv/bin/python benchmarks/bench_target_elements.py [--rounds 6] [--episodes 15]

Prints, per task, the median reset and step times (ms) of both variants and their ratio.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from importlib import resources

import numpy as np

ROLES = "t = {role: e.computedRole || '', name: e.computedName || ''};"
NO_ROLES = "t = {role: '', name: ''};"
TASKS = ("click-button", "miniwob/click-checkboxes", "grounding")


def make(task: str):
    import gymnasium as gym

    import rewardgym  # noqa: F401

    if task == "grounding":
        site = str(resources.files("rewardgym.assets") / "browser" / "examples" / "grounding-site")
        return gym.make("rewardgym/Browser-v0", task="grounding", task_dir=site, viewport=(400, 300),
                        frame_rate_limit=False)
    return gym.make("rewardgym/Browser-v0", task=task)


def variant(env, with_roles: bool) -> None:
    base = env.unwrapped
    if not hasattr(base, "_bench_js"):
        assert ROLES in base._reset_js and ROLES in base._after_action_js, "page JS changed: update the bench"
        base._bench_js = (base._reset_js, base._after_action_js)
    reset_js, after_js = base._bench_js
    base._reset_js = reset_js if with_roles else reset_js.replace(ROLES, NO_ROLES)
    base._after_action_js = after_js if with_roles else after_js.replace(ROLES, NO_ROLES)


def one_round(env, episodes: int, seed0: int) -> tuple[list[float], list[float]]:
    resets, steps = [], []
    for i in range(episodes):
        t = time.perf_counter()
        _, info = env.reset(seed=seed0 + i)
        resets.append(time.perf_counter() - t)
        t = time.perf_counter()
        env.step(np.array([0.99, 0.99], np.float32))  # a click on nothing much: the page call runs
        steps.append(time.perf_counter() - t)
    return resets, steps


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--episodes", type=int, default=15)
    a = ap.parse_args(argv)
    if a.rounds < 1 or a.episodes < 1:
        print(f"bench_target_elements.py: --rounds and --episodes must be >= 1, got {a.rounds}, {a.episodes}",
              file=sys.stderr)
        return 2
    print("| task | reset ms, with roles | reset ms, without | ratio | step ms, with | step ms, without | ratio |")
    print("|---|---|---|---|---|---|---|")
    for task in TASKS:
        env = make(task)
        try:
            env.reset(seed=0)
            times = {True: ([], []), False: ([], [])}
            for r in range(a.rounds):
                for with_roles in ((True, False) if r % 2 == 0 else (False, True)):
                    variant(env, with_roles)
                    resets, steps = one_round(env, a.episodes, 1000 * r)
                    times[with_roles][0].extend(resets)
                    times[with_roles][1].extend(steps)
        finally:
            env.close()
        med = {k: (1000 * statistics.median(v[0]), 1000 * statistics.median(v[1])) for k, v in times.items()}
        print(f"| {task} | {med[True][0]:.1f} | {med[False][0]:.1f} | {med[True][0] / med[False][0]:.2f} "
              f"| {med[True][1]:.1f} | {med[False][1]:.1f} | {med[True][1] / med[False][1]:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
