"""Speed of ``rewardgym/Manipulation-v0``, every task, in one run.

Per task: (a) env steps/s with state observations under seeded random actions (target
>= 1,000 for ``reach`` and ``push``), (b) env steps/s of the scripted expert (contacts and grasps
make the physics dearer than random flailing), (c) rgb frames/s at 224x224 from the env's fast
renderer (``render()``, shadows/reflections/skybox off), next to (d) a plain ``mujoco.Renderer``
with MuJoCo's default scene flags on the same model, for the ratio the fast path buys.

Only ``step()`` / ``render()`` calls are timed; each number is the median of ``--repeats`` runs.

    nice -n 10 .venv/bin/python benchmarks/bench_manipulation.py [--repeats 3] [--steps 2000] [--frames 30]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("MUJOCO_GL", "egl")

import gymnasium as gym  # noqa: E402
import mujoco  # noqa: E402
import numpy as np  # noqa: E402

import rewardgym  # noqa: E402,F401
from rewardgym.envs.mujoco.experts import expert_action  # noqa: E402
from rewardgym.envs.mujoco.manipulation_tasks import TASKS  # noqa: E402

TARGETS = {"reach": 1000.0, "push": 1000.0}  # state-only env steps/s on a 2-core machine


def steps_per_s(env: gym.Env, n: int, policy) -> float:
    env.reset(seed=0)
    spent = 0.0
    for _ in range(n):
        a = policy(env)
        t0 = time.perf_counter()
        _, _, terminated, truncated, _ = env.step(a)
        spent += time.perf_counter() - t0
        if terminated or truncated:
            env.reset()
    return n / spent


def frames_per_s(env: gym.Env, n: int, render) -> float:
    env.reset(seed=0)
    render()  # warm-up: the env creates its renderer (OpenGL context) on the first frame
    spent = 0.0
    for _ in range(n):
        env.step(expert_action(env))
        t0 = time.perf_counter()
        frame = render()
        spent += time.perf_counter() - t0
        assert frame.shape == (224, 224, 3) and frame.dtype == np.uint8, (frame.shape, frame.dtype)
    return n / spent


def measure(task: str, args) -> dict:
    env = gym.make("rewardgym/Manipulation-v0", task=task, render_mode="rgb_array", width=224, height=224)
    rng = np.random.default_rng(0)
    random_policy = lambda e: rng.uniform(-1, 1, 4).astype(np.float32)  # noqa: E731
    base = env.unwrapped
    plain = mujoco.Renderer(base.model, 224, 224)  # default flags: shadows, reflections on

    def plain_render():
        plain.update_scene(base.data, camera=base.camera_name)
        return plain.render()

    runs = {"random": [], "expert": [], "fast": [], "plain": []}
    for _ in range(args.repeats):
        runs["random"].append(steps_per_s(env, args.steps, random_policy))
        runs["expert"].append(steps_per_s(env, args.steps, expert_action))
        runs["fast"].append(frames_per_s(env, args.frames, env.render))
        runs["plain"].append(frames_per_s(env, args.frames, plain_render))
    plain.close()
    env.close()
    row = {"task": task, **{k: statistics.median(v) for k, v in runs.items()}}
    row["target"] = TARGETS.get(task)
    row["met"] = None if row["target"] is None else bool(row["random"] >= row["target"])
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=2000, help="env steps per repeat")
    parser.add_argument("--frames", type=int, default=30, help="frames per repeat")
    parser.add_argument("--tasks", nargs="*", default=sorted(TASKS))
    parser.add_argument("--json", default=None, help="also write the rows to this file")
    args = parser.parse_args()
    rows = [measure(task, args) for task in args.tasks]
    print(f"{'task':14s} {'steps/s rand':>12s} {'steps/s expert':>14s} {'fps fast':>9s} {'fps plain':>9s} "
          f"{'ratio':>6s}  target")
    for r in rows:
        verdict = "-" if r["met"] is None else f">={r['target']:.0f} " + ("ok" if r["met"] else "MISSED")
        print(f"{r['task']:14s} {r['random']:12.0f} {r['expert']:14.0f} {r['fast']:9.1f} {r['plain']:9.1f} "
              f"{r['fast'] / r['plain']:6.2f}  {verdict}")
    print(f"(state obs; frames 224x224 from the 'front' camera; median of {args.repeats} repeats; "
          f"{os.cpu_count()} CPUs; MUJOCO_GL={os.environ['MUJOCO_GL']})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
