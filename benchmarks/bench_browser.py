"""Browser env speed and memory, side by side with the `miniwob` package's own Gymnasium env.

Measures in one run (random clicks, auto-reset when an episode ends):

1. steps/s of one ``rewardgym/Browser-v0`` env (160x210 screenshots) on an own task and on
   ``miniwob/<task>``;
2. steps/s of N envs: N pages in one Chromium in one process (``SyncVectorEnv``; the envs of
   a process share its browser), gymnasium's ``AsyncVectorEnv`` (N processes, N Chromiums) and
   ``BrowserVectorEnv`` (the default: one worker per core, each worker's pages in one Chromium);
3. steps/s of the ``miniwob`` package's env (Selenium + Debian's chromedriver, screenshot
   observations, ``CLICK_COORDS`` actions) on the same MiniWoB++ task, and the ratio;
4. peak memory of 4 envs, Chromium processes included: the summed PSS (proportional set
   size: shared pages counted once) of this process and all its descendants, and the summed
   RSS (over-counts shared pages) for reference;
5. a ``action_type="gui"`` step (a click given as the 9-number vector, and a random vector of
   the space: any kind) against a bare Playwright ``mouse.click`` + PNG ``screenshot`` loop on
   the same Chromium page, rounds alternated, step time only (resets not timed); the ratio of
   the medians (``--only-gui`` runs this part alone).

Usage::

    nice -n 10 .venv/bin/python benchmarks/bench_browser.py [--seconds 8] [--n 4] [--task click-button]
    nice -n 10 .venv/bin/python benchmarks/bench_browser.py --only-gui [--rounds 5]

Timings depend on the load of the machine (printed); targets from the issues: >= 30 steps/s
for one env, >= 2x the miniwob package's env, < 2 GB for 4 envs; a gui step >= 0.7 of the bare
Playwright loop.
"""
from __future__ import annotations

import argparse
import json
import os
import threading
import time

import gymnasium as gym
import numpy as np

import rewardgym  # noqa: F401  (registers the envs)
from rewardgym.envs.browser.server import shared_server
from rewardgym.envs.browser.session import descendants

CHROMIUM = os.environ.get("REWARDGYM_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = "/usr/bin/chromedriver"


# --- process-tree memory -------------------------------------------------------------------
def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    return [pid] + descendants(pid)


def _field_kb(path: str, key: str) -> int:
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_memory_mb(pid: int) -> tuple[float, float, int]:
    """(PSS MB, RSS MB, number of processes) of ``pid`` and its descendants."""
    pids = tree(pid)
    pss = sum(_field_kb(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids)
    rss = sum(_field_kb(f"/proc/{p}/status", "VmRSS:") for p in pids)
    return pss / 1024, rss / 1024, len(pids)


class PeakMemory:
    """Samples the process tree's memory every ``period`` seconds in a thread; keeps the peak."""

    def __init__(self, period: float = 0.25):
        self.period, self.peak_pss, self.peak_rss, self.procs = period, 0.0, 0.0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            pss, rss, n = tree_memory_mb(os.getpid())
            if pss > self.peak_pss:
                self.peak_pss, self.procs = pss, n
            self.peak_rss = max(self.peak_rss, rss)
            self._stop.wait(self.period)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


# --- runners ------------------------------------------------------------------------------
def run_single(env: gym.Env, seconds: float, sample, step) -> tuple[float, int]:
    env.reset(seed=0)
    steps, resets, t0 = 0, 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        terminated, truncated = step(env, sample())
        steps += 1
        if terminated or truncated:
            env.reset()
            resets += 1
    return steps / (time.perf_counter() - t0), resets


def rewardgym_step(env, action):
    _, _, terminated, truncated, _ = env.step(action)
    return terminated, truncated


def bench_one(task: str, seconds: float, rng) -> dict:
    env = gym.make("rewardgym/Browser-v0", task=task, obs_type="pixels")
    try:
        env.reset(seed=0)  # launch + first page load outside the timing
        sps, resets = run_single(env, seconds, lambda: rng.random(2).astype(np.float32), rewardgym_step)
        shape = env.observation_space.shape
    finally:
        env.close()
    return {"task": task, "steps_per_s": round(sps, 1), "resets": resets, "screenshot": list(shape)}


def bench_vector(task: str, n: int, seconds: float, kind: str, memory: bool = False) -> dict:
    """kind: "sync" (n pages, one Chromium, this process), "async" (gymnasium's AsyncVectorEnv,
    n processes = n Chromiums) or "grouped" (BrowserVectorEnv: default processes, pages split)."""
    from rewardgym.envs.browser.vector import BrowserVectorEnv

    fns = [lambda: gym.make("rewardgym/Browser-v0", task=task, obs_type="pixels") for _ in range(n)]
    if kind == "sync":
        venv = gym.vector.SyncVectorEnv(fns)
    elif kind == "async":
        venv = gym.vector.AsyncVectorEnv(fns, context="forkserver")
    else:
        venv = BrowserVectorEnv(n, task=task, obs_type="pixels")
    out: dict = {"kind": kind, "n_envs": n, "task": task, "processes_used": getattr(venv, "num_processes", None)}
    try:
        venv.reset(seed=0)
        venv.action_space.seed(0)
        with PeakMemory() as mem:
            steps, t0 = 0, time.perf_counter()
            while time.perf_counter() - t0 < seconds:
                venv.step(venv.action_space.sample())
                steps += n
            out["steps_per_s"] = round(steps / (time.perf_counter() - t0), 1)
        if memory:
            out.update(peak_pss_mb=round(mem.peak_pss), peak_rss_mb=round(mem.peak_rss), processes=mem.procs)
    finally:
        venv.close()
    return out


def bench_miniwob_package(task: str, seconds: float, rng) -> dict:
    """The ``miniwob`` package's own env on the same task (Selenium + chromedriver)."""
    os.environ.setdefault("MINIWOB_CHROME_BINARY", CHROMIUM)
    os.environ.setdefault("MINIWOB_CHROMEDRIVER", CHROMEDRIVER)
    import miniwob
    from miniwob.action import ActionTypes

    gym.register_envs(miniwob)
    env = gym.make(f"miniwob/{task}-v1")
    try:
        env.reset(seed=0)
        w, h = 160, 210

        def sample():
            return env.unwrapped.create_action(ActionTypes.CLICK_COORDS,
                                               coords=np.array([rng.random() * w, rng.random() * h], dtype=np.float32))

        def step(e, action):
            _, _, terminated, truncated, _ = e.step(action)
            return terminated, truncated

        sps, resets = run_single(env, seconds, sample, step)
    finally:
        env.close()
    return {"task": f"miniwob package {task}-v1", "steps_per_s": round(sps, 1), "resets": resets}


def bench_gui_vs_bare(task: str, seconds: float, rounds: int, rng) -> dict:
    """Steps/s of gui-action steps and of a bare Playwright click + screenshot loop on the same
    page of the same Chromium; ``rounds`` alternated rounds of ``seconds / rounds`` each."""
    from rewardgym.envs.browser.actions import GuiAction, encode

    env = gym.make("rewardgym/Browser-v0", task=task, obs_type="pixels", action_type="gui")
    env.action_space.seed(0)
    try:
        env.reset(seed=0)
        page, (w, h) = env.unwrapped.session.page, env.unwrapped.viewport

        def bare() -> None:
            page.mouse.click(rng.random() * w, rng.random() * h)
            page.screenshot(type="png")

        def gui(sample):
            def one() -> None:
                _, _, terminated, truncated, _ = env.step(sample())
                if terminated or truncated:
                    return env.reset  # run after the clock stops: resets are not timed
            return one

        loops = {"bare_playwright": bare,
                 "gui_click": gui(lambda: encode(GuiAction("click", x=rng.random(), y=rng.random()), ())),
                 "gui_sampled": gui(env.action_space.sample)}
        rates: dict[str, list[float]] = {k: [] for k in loops}
        for _ in range(rounds):
            for name, fn in loops.items():
                n, spent = 0, 0.0
                while spent < seconds / rounds:
                    t0 = time.perf_counter()
                    after = fn()
                    spent += time.perf_counter() - t0
                    n += 1
                    if after is not None:
                        after()
                rates[name].append(n / spent)
    finally:
        env.close()
    med = {k: float(np.median(v)) for k, v in rates.items()}
    return {"task": task, "rounds": rounds, **{f"{k}_steps_per_s": round(v, 1) for k, v in med.items()},
            "ratio_gui_click_vs_bare": round(med["gui_click"] / med["bare_playwright"], 2),
            "ratio_gui_sampled_vs_bare": round(med["gui_sampled"] / med["bare_playwright"], 2)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=8.0, help="timed seconds per measurement")
    p.add_argument("--n", type=int, default=4, help="envs in the vector measurements")
    p.add_argument("--task", default="click-button", help="own task for the single-env measurement")
    p.add_argument("--miniwob-task", default="click-button")
    p.add_argument("--json", default=None, help="also write the results here")
    p.add_argument("--only-gui", action="store_true", help="only the gui step vs bare Playwright measurement")
    p.add_argument("--rounds", type=int, default=5, help="alternated rounds of the gui measurement")
    a = p.parse_args()
    rng = np.random.default_rng(0)
    print(f"load average before: {os.getloadavg()}, cpus: {os.cpu_count()}")
    res: dict = {"network_namespace": shared_server().sandbox is not None}
    print("Chromium in its own network namespace:", res["network_namespace"])
    res["gui_vs_bare"] = bench_gui_vs_bare(a.task, a.seconds * 2, a.rounds, rng)
    print("gui step vs bare Playwright click + screenshot", res["gui_vs_bare"])
    if a.only_gui:
        res["load_average_after"] = os.getloadavg()
        print(f"load average after: {res['load_average_after']}")
        if a.json:
            with open(a.json, "w") as f:
                json.dump(res, f, indent=1)
        return
    res["one_own"] = bench_one(a.task, a.seconds, rng)
    print("one env, own task     ", res["one_own"])
    res["one_miniwob"] = bench_one(f"miniwob/{a.miniwob_task}", a.seconds, rng)
    print("one env, MiniWoB++ task", res["one_miniwob"])
    res["miniwob_package"] = bench_miniwob_package(a.miniwob_task, a.seconds, rng)
    print("miniwob package env    ", res["miniwob_package"])
    ratio = res["one_miniwob"]["steps_per_s"] / max(res["miniwob_package"]["steps_per_s"], 1e-9)
    res["ratio_vs_miniwob_package"] = round(ratio, 2)
    print(f"ratio rewardgym / miniwob package on {a.miniwob_task}: {ratio:.2f}x")
    res["vector_sync"] = bench_vector(a.task, a.n, a.seconds, "sync", memory=True)
    print(f"{a.n} envs, one process, one Chromium", res["vector_sync"])
    res["vector_async"] = bench_vector(a.task, a.n, a.seconds, "async", memory=True)
    print(f"{a.n} envs, AsyncVectorEnv ({a.n} processes)", res["vector_async"])
    res["vector_grouped"] = bench_vector(a.task, a.n, a.seconds, "grouped", memory=True)
    print(f"{a.n} envs, BrowserVectorEnv (default: one process per core, pages split)", res["vector_grouped"])
    res["load_average_after"] = os.getloadavg()
    print(f"load average after: {res['load_average_after']}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
