"""Training speed of ``rewardgym-train`` against plain stable-baselines3 PPO, in one run.

(a) PPO env steps/s: the Hydra app (``python -m rewardgym.agents.train``, i.e. what
    ``rewardgym-train`` runs: FiniteActionCheck + Monitor + DummyVecEnv, TensorBoard logging,
    the info/success callback, checkpoints) against a plain script doing what an SB3 user would
    write by hand (``gym.make`` + ``Monitor`` + ``DummyVecEnv`` + ``PPO(...).learn``) on the same
    env, the same PPO keyword arguments (read from the composed Hydra config), the same seed and
    the same number of steps. Both sides run in fresh subprocesses, alternately, ``--repeats``
    times each; only ``model.learn`` is timed on both sides (the app's ``steps_per_second`` and
    ``cpu_time_s`` in ``metrics.json``: imports, env construction and the final evaluation are
    excluded). Wall-clock rates and rates per CPU second of the process (``time.process_time``,
    less sensitive to other jobs on a shared machine) are both shown.
    Target: ratio >= 0.95 (the framework costs under 5%).
(b) Peak resident memory (``ru_maxrss`` of the process, from ``os.wait4``) of one default run:
    ``rewardgym-train`` with no overrides except its output dir. Target: < 4 GB.

    nice -n 10 .venv/bin/python benchmarks/bench_train.py [--repeats 5] [--steps 20000] [--skip-default]

Extra overrides for both sides of (a) go after ``--``, e.g. ``-- env=cartpole agent.n_envs=8``.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PLAIN = r"""
import json, sys, time
import gymnasium as gym
import torch
import rewardgym
from stable_baselines3 import PPO
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv

spec = json.loads(sys.argv[1])
if spec["torch_threads"]:
    torch.set_num_threads(spec["torch_threads"])
make_kwargs = dict(spec["kwargs"])
if spec["max_episode_steps"] is not None:
    make_kwargs["max_episode_steps"] = spec["max_episode_steps"]
venv = DummyVecEnv([lambda: Monitor(gym.make(spec["id"], **make_kwargs)) for _ in range(spec["n_envs"])])
model = PPO("MlpPolicy", venv, seed=spec["seed"], device="cpu", verbose=0, **spec["ppo"])
t0, cpu0 = time.perf_counter(), time.process_time()
model.learn(spec["steps"])
wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
print(json.dumps({"steps_per_second": model.num_timesteps / wall, "steps_per_cpu_second": model.num_timesteps / cpu}))
"""


def composed(overrides: list[str]):
    """The app's config for these overrides (the exact settings the app will use)."""
    from hydra import compose, initialize_config_module

    with initialize_config_module(config_module="rewardgym.conf", version_base=None):
        return compose(config_name="config", overrides=overrides)


def run_measured(cmd: list[str]) -> tuple[str, float]:
    """Runs ``cmd``; returns its stdout and its peak RSS in MB (``ru_maxrss`` via ``wait4``)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env={**os.environ, "CI": "1"})
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd} exited {proc.returncode}:\n{stdout}\n{stderr[-3000:]}")
    return stdout, usage.ru_maxrss / 1024.0  # Linux reports KiB


def app_rate(overrides: list[str], steps: int, run_dir: Path) -> tuple[float, float]:
    """``(steps/s, steps per CPU second)`` of ``model.learn`` in the Hydra app."""
    cmd = [sys.executable, "-m", "rewardgym.agents.train", *overrides, f"agent.total_timesteps={steps}",
           "eval.episodes=0", f"checkpoint_freq={max(steps // 4, 1)}", f"hydra.run.dir={run_dir}"]
    run_measured(cmd)
    m = json.loads((run_dir / "metrics.json").read_text())
    learned = m["total_timesteps"] - m["resumed_from_steps"]
    return m["steps_per_second"], learned / m["cpu_time_s"]


def plain_rate(spec: dict) -> tuple[float, float]:
    """``(steps/s, steps per CPU second)`` of ``model.learn`` in the plain SB3 script."""
    out, _ = run_measured([sys.executable, "-c", PLAIN, json.dumps(spec)])
    m = json.loads(out.strip().splitlines()[-1])
    return m["steps_per_second"], m["steps_per_cpu_second"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20_000, help="env steps per timed run")
    parser.add_argument("--skip-default", action="store_true", help="skip (b), the full default run")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides applied to both sides of (a)")
    args = parser.parse_args()

    from omegaconf import OmegaConf

    cfg = composed(args.overrides)
    if cfg.reward.get("_target_") is not None:
        sys.exit("bench_train.py compares ground-truth training only: add reward=none")
    spec = {
        "id": cfg.env.id, "kwargs": OmegaConf.to_container(cfg.env.get("kwargs") or {}, resolve=True),
        "max_episode_steps": cfg.env.get("max_episode_steps"), "n_envs": int(cfg.agent.n_envs),
        "ppo": OmegaConf.to_container(cfg.agent.ppo, resolve=True), "seed": int(cfg.seed),
        "steps": args.steps, "torch_threads": cfg.get("torch_threads"),
    }
    if cfg.agent.vec_env != "dummy" or cfg.agent.normalize.obs or cfg.agent.normalize.reward:
        sys.exit("bench_train.py compares the DummyVecEnv setting without VecNormalize")
    print(f"env {spec['id']} {spec['kwargs']}, {spec['n_envs']} envs, {args.steps} steps per run, "
          f"{args.repeats} repeats per side, PPO {spec['ppo']}", flush=True)

    app, plain = [], []  # (steps/s, steps per CPU second) per repeat
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats):
            app.append(app_rate(args.overrides, args.steps, Path(tmp) / f"app{i}"))
            plain.append(plain_rate(spec))
            print(f"  repeat {i}: rewardgym-train {app[-1][0]:7.0f} steps/s {app[-1][1]:7.0f} steps/cpu-s   "
                  f"plain SB3 {plain[-1][0]:7.0f} steps/s {plain[-1][1]:7.0f} steps/cpu-s", flush=True)
        rss_default = None
        if not args.skip_default:
            t0 = time.perf_counter()
            _, rss_default = run_measured([sys.executable, "-m", "rewardgym.agents.train",
                                           f"hydra.run.dir={Path(tmp) / 'default'}"])
            default_wall = time.perf_counter() - t0
            default_metrics = json.loads((Path(tmp) / "default" / "metrics.json").read_text())

    print()
    print("| measure | rewardgym-train | plain SB3 PPO | ratio | target |")
    print("|---|---|---|---|---|")
    what = f"{spec['id']} {spec['kwargs']}, {spec['n_envs']} envs, median of {args.repeats}"
    for k, unit in ((0, "env steps/s (wall)"), (1, "env steps per CPU second")):
        a, p = statistics.median(r[k] for r in app), statistics.median(r[k] for r in plain)
        print(f"| PPO {unit}, {what} | {a:.0f} | {p:.0f} | {a / p:.3f} | >= 0.95 |")
    if rss_default is not None:
        ev, rnd = default_metrics.get("eval") or {}, default_metrics.get("random_policy") or {}
        print(f"| peak RSS of a default run ({default_metrics['env']} {default_metrics['env_kwargs']}, "
              f"{default_metrics['total_timesteps']} steps, {default_wall:.0f} s wall; eval success "
              f"{ev.get('success_rate')} vs random {rnd.get('success_rate')}) | {rss_default:.0f} MB | | | < 4096 MB |")


if __name__ == "__main__":
    main()
