"""Grounding data speed: recording from live pages, and the dataset env against the live env, side by side.

* ``record``: ``rewardgym-record-grounding`` episodes per second on own tasks (2 worker processes,
  one Chromium each), over a fresh recording of ``--episodes`` episodes;
* ``env``: one-click episodes per second (``reset`` + one ``step``) of ``rewardgym/Browser-v0``
  (live Chromium) and of ``rewardgym/Grounding-v0`` replaying the same task's recorded rows, in
  alternating rounds; the median of each and their ratio.

    nice -n 5 .venv/bin/python benchmarks/bench_gui_data.py --episodes 600 --rounds 3
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import gymnasium as gym
import numpy as np

import rewardgym  # noqa: F401

OWN = ("click-button", "click-shape", "click-red", "click-checkbox", "click-link", "click-icon")


def bench_record(episodes: int, processes: int) -> dict:
    from rewardgym.envs.browser.record import record

    out = Path(tempfile.mkdtemp(prefix="rg-bench-rec-")) / "data"
    per_task = max(1, episodes // len(OWN))
    t0 = time.perf_counter()
    manifest = record(out, list(OWN), range(0, per_task), range(10**6, 10**6 + 1), processes=processes,
                      shard_size=max(1, per_task // 2), progress=False)
    wall = time.perf_counter() - t0
    shutil.rmtree(out.parent, ignore_errors=True)
    n = manifest["recorded_this_run"]
    return {"episodes": n, "processes": processes, "wall_s": wall, "episodes_per_s_total": n / wall,
            "episodes_per_s_recording": manifest["episodes_per_second_this_run"]}


def _episodes_per_s(env, n: int, seeds) -> float:
    t0 = time.perf_counter()
    for i in range(n):
        _, info = env.reset(seed=int(seeds[i % len(seeds)]))
        box = np.asarray(info["target_boxes"])[0]
        env.step(np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2], np.float32))
    return n / (time.perf_counter() - t0)


def bench_env(task: str, rounds: int, live_n: int, replay_n: int) -> dict:
    from rewardgym.envs.browser.record import record

    out = Path(tempfile.mkdtemp(prefix="rg-bench-env-")) / "data"
    record(out, [task], range(0, 200), range(10**6, 10**6 + 10), processes=1, progress=False)
    live = gym.make("rewardgym/Browser-v0", task=task)
    replay = gym.make("rewardgym/Grounding-v0", dataset=str(out))
    live.reset(seed=0)
    replay.reset(seed=0)
    lives, replays = [], []
    try:
        for _ in range(rounds):  # alternating, so load changes hit both
            lives.append(_episodes_per_s(live, live_n, range(200)))
            replays.append(_episodes_per_s(replay, replay_n, range(200)))
    finally:
        live.close()
        shutil.rmtree(out.parent, ignore_errors=True)
    live_med, replay_med = statistics.median(lives), statistics.median(replays)
    return {"task": task, "rounds": rounds, "live_episodes_per_s": lives, "replay_episodes_per_s": replays,
            "live_median": live_med, "replay_median": replay_med, "ratio": replay_med / live_med}


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--episodes", type=int, default=600, help="record: episodes over the 6 own tasks")
    p.add_argument("--processes", type=int, default=2)
    p.add_argument("--task", default="click-shape", help="env: the task both envs play")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--live-episodes", type=int, default=100)
    p.add_argument("--replay-episodes", type=int, default=20000)
    p.add_argument("--json", default=None, help="also write the results here")
    a = p.parse_args(argv)
    result = {"env": bench_env(a.task, a.rounds, a.live_episodes, a.replay_episodes),
              "record": bench_record(a.episodes, a.processes)}
    e, r = result["env"], result["record"]
    print(f"one-click episodes/s on {e['task']}: live Browser-v0 {e['live_median']:.1f}, Grounding-v0 "
          f"{e['replay_median']:,.0f} (median of {e['rounds']} alternating rounds): {e['ratio']:,.0f}x")
    print(f"recording: {r['episodes']} episodes of {len(OWN)} own tasks with {r['processes']} processes: "
          f"{r['episodes_per_s_recording']:.1f} episodes/s while recording, {r['episodes_per_s_total']:.1f} including "
          "start-up and writing the dataset")
    if a.json:
        Path(a.json).write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
