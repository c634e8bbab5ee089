"""Speed of ``rewardgym/HumanoidPose-v0`` against Gymnasium's ``Humanoid-v5``, in one run.

(a) env steps/s with state observations (target ratio >= 0.9). The headline row compares the
    same episodes: ``Humanoid-v5`` with ``terminate_when_unhealthy=False`` and a 100-step limit,
    as HumanoidPose-v0 (same seed, same actions, hence the same physical states). A second,
    informational row uses the default ``Humanoid-v5``, which resets as soon as the body falls:
    it simulates a mostly standing body with few floor contacts, so its physics is cheaper per
    step (MuJoCo's contact solver dominates), which says nothing about the env's own overhead;
(b) rgb frames/s at 224x224: our fast renderer vs Gymnasium's default ``render()`` path
    (target ratio >= 3).

The two sides run alternately, ``--repeats`` times each, on the same machine; the table shows
the median rate of each side and the ratio of the medians. Only ``step()`` / ``render()`` calls
are timed (resets are not). Zero actions are used for the rendering runs and seeded random actions
for the step runs (the same sequence for both envs).

    nice -n 10 .venv/bin/python benchmarks/bench_humanoid.py [--repeats 7] [--steps 2000] [--frames 40]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("MUJOCO_GL", "egl")

import gymnasium as gym  # noqa: E402
import numpy as np  # noqa: E402

import rewardgym  # noqa: E402,F401


def steps_per_s(env: gym.Env, actions: np.ndarray) -> float:
    env.reset(seed=0)
    spent = 0.0
    for a in actions:
        t0 = time.perf_counter()
        _, _, terminated, truncated, _ = env.step(a)
        spent += time.perf_counter() - t0
        if terminated or truncated:
            env.reset()
    return len(actions) / spent


def frames_per_s(env: gym.Env, n: int) -> float:
    env.reset(seed=0)
    zero = np.zeros(env.action_space.shape)
    spent = 0.0
    for _ in range(n):
        _, _, terminated, truncated, _ = env.step(zero)
        t0 = time.perf_counter()
        frame = env.render()
        spent += time.perf_counter() - t0
        assert frame.shape == (224, 224, 3) and frame.dtype == np.uint8, (frame.shape, frame.dtype)
        if terminated or truncated:
            env.reset()
    return n / spent


def compare(name: str, ours, theirs, repeats: int, target: float) -> dict:
    a, b = [], []
    for _ in range(repeats):  # alternate, so load changes hit both sides alike
        a.append(ours())
        b.append(theirs())
    row = {"measure": name, "rewardgym": statistics.median(a), "gymnasium": statistics.median(b)}
    row["ratio"] = row["rewardgym"] / row["gymnasium"]
    row["target"] = target
    row["met"] = None if target is None else bool(row["ratio"] >= target)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--steps", type=int, default=2000, help="env steps per repeat")
    parser.add_argument("--frames", type=int, default=40, help="frames per repeat")
    parser.add_argument("--json", default=None, help="also write the rows to this file")
    args = parser.parse_args()

    actions = np.random.default_rng(0).uniform(-0.4, 0.4, (args.steps, 17))
    ours = gym.make("rewardgym/HumanoidPose-v0", task="stand")
    same = gym.make("Humanoid-v5", terminate_when_unhealthy=False, max_episode_steps=100)
    default = gym.make("Humanoid-v5")
    rows = [compare("env steps/s, same episodes", lambda: steps_per_s(ours, actions),
                    lambda: steps_per_s(same, actions), args.repeats, 0.9),
            compare("env steps/s, v5 default*", lambda: steps_per_s(ours, actions),
                    lambda: steps_per_s(default, actions), args.repeats, None)]
    ours.close(), same.close(), default.close()

    ours = gym.make("rewardgym/HumanoidPose-v0", task="stand", render_mode="rgb_array", width=224, height=224)
    theirs = gym.make("Humanoid-v5", render_mode="rgb_array", width=224, height=224)
    rows.append(compare("rgb frames/s at 224x224", lambda: frames_per_s(ours, args.frames),
                        lambda: frames_per_s(theirs, args.frames), args.repeats, 3.0))
    ours.close(), theirs.close()

    print(f"{'measure':28s} {'rewardgym':>10s} {'Humanoid-v5':>12s} {'ratio':>7s} {'target':>7s}")
    for r in rows:
        verdict = "-" if r["met"] is None else ("ok" if r["met"] else "MISSED")
        target = "-" if r["target"] is None else f">={r['target']}"
        print(f"{r['measure']:28s} {r['rewardgym']:10.1f} {r['gymnasium']:12.1f} {r['ratio']:7.2f} "
              f"{target:>7s} {verdict}")
    print("* default Humanoid-v5 resets when it falls (cheaper standing physics); informational only")
    print(f"(median of {args.repeats} alternating repeats; {os.cpu_count()} CPUs; MUJOCO_GL={os.environ['MUJOCO_GL']})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
