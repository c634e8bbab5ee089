"""Training throughput with the bundled CLIP reward against the ground-truth reward, side by side.

Each variant is one ``rewardgym-train`` run (PPO, ``env=humanoid_kneel``, the same agent
settings, no evaluation); its ``metrics.json`` gives env steps per second of ``learn()``.
Variants alternate over ``--repeats`` rounds and medians are printed with their ratio to the
ground-truth run of the same rounds. Every variant scores every step (``reward_every=1``).
``dtype auto`` is bfloat16 matrix products on a CPU with native bfloat16 (the line printed
first says whether this one has it), float32 elsewhere. An ``ENV:NAME=value`` entry in a
variant is an environment variable of its run (e.g. ``REWARDGYM_CLIP_FAST=0``, the image
tower's own forward instead of ``clip_fast``'s copy; ``LP_NUM_THREADS``, Mesa's render threads).

    .venv/bin/python benchmarks/bench_clip_training.py --steps 8192 --repeats 3 --only "CLIP, per rollout" defaults

Without ``--fast-ppo`` and ``--n-envs`` every variant runs the agent config's defaults (4 envs,
PPO's 10 epochs of updates), so "defaults (no overrides)" is what ``rewardgym-train
env=humanoid_kneel reward=clip`` gives a user.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

OLD = ["reward=clip", "reward.frame_antialias=true", "reward.frame_slices=null", "reward.dtype=float32",
       "agent.reward_scoring=step"]  # the defaults before this benchmark's fixes
FRAMES = ["reward=clip"]  # the CLIP config's frame defaults: 96 px, no multisampling, dtype auto


def chunked(n: int, thread: bool) -> list[str]:
    """Rollout scoring in subproc envs, every n steps, in a background thread or not."""
    return [*FRAMES, "agent.reward_scoring=rollout", "agent.vec_env=subproc", f"agent.reward_chunk={n}",
            f"agent.reward_thread={str(thread).lower()}"]


VARIANTS = {
    "ground truth (reward=none)": ["reward=none"],
    "CLIP, 224 px resized, multisampled, float32": [*OLD, "reward.frame_size=null"],
    "CLIP, 96 px, multisampled, float32": OLD,
    "CLIP, per step, dummy envs": [*FRAMES, "agent.reward_scoring=step", "agent.vec_env=dummy"],
    "CLIP, per rollout, dummy envs": [*FRAMES, "agent.reward_scoring=rollout", "agent.vec_env=dummy",
                                      "agent.reward_chunk=null"],
    "CLIP, per step, subproc envs": [*FRAMES, "agent.reward_scoring=step", "agent.vec_env=subproc"],
    "CLIP, per rollout, subproc envs (the defaults before the thread)": [
        *FRAMES, "agent.reward_scoring=rollout", "agent.vec_env=subproc", "agent.reward_chunk=null"],
    **{f"CLIP, per rollout, subproc envs, chunks of {n}{' in a thread' if thread else ''}": chunked(n, thread)
       for thread, sizes in ((False, (32, 64)), (True, (16, 32, 64))) for n in sizes},
    "CLIP, defaults (no overrides)": ["reward=clip"],
    # the earlier default model: the same recipe at 96 px (most of the humanoid learning tables)
    "CLIP, defaults, 96-px model (reward.model=rewardgym-clip-small)": ["reward=clip", "reward.model=rewardgym-clip-small"],
    "CLIP, defaults, the model's own forward (REWARDGYM_CLIP_FAST=0)": ["reward=clip", "ENV:REWARDGYM_CLIP_FAST=0"],
    # Mesa's llvmpipe renders with LP_NUM_THREADS threads (default: the CPU count) in each worker
    "CLIP, defaults, LP_NUM_THREADS=1": ["reward=clip", "ENV:LP_NUM_THREADS=1"],
    "CLIP, defaults, LP_NUM_THREADS=0 (llvmpipe renders in the calling thread)": ["reward=clip", "ENV:LP_NUM_THREADS=0"],
    # a machine with CUDA (bench_clip_gpu.py): the model there, float16; the rest as the defaults
    "CLIP, model on CUDA (reward.device=cuda)": ["reward=clip", "reward.device=cuda"],
}


def run(overrides: list[str], steps: int, n_envs: int | None, out: Path, agent: list[str]) -> float:
    env_vars = dict(o[len("ENV:"):].split("=", 1) for o in overrides if o.startswith("ENV:"))
    overrides = [o for o in overrides if not o.startswith("ENV:")]
    cmd = [sys.executable, "-m", "rewardgym.agents.train", "env=humanoid_kneel", f"agent.total_timesteps={steps}",
           *([f"agent.n_envs={n_envs}"] if n_envs else []), *agent,
           "eval.episodes=0", f"checkpoint_freq={10 * steps}", f"hydra.run.dir={out}", *overrides]
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "CI": "1", **env_vars})
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
    return json.loads((out / "metrics.json").read_text())["steps_per_second"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=4096)
    p.add_argument("--n-envs", type=int, default=None, help="agent.n_envs (default: the agent config's, 4)")
    p.add_argument("--fast-ppo", action="store_true",
                   help="PPO updates of 4 epochs (the earlier tables') instead of the agent config's 10")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--only", nargs="*", help="substrings of variant names to run (ground truth always runs)")
    a = p.parse_args()
    names = [n for n in VARIANTS if n.startswith("ground") or not a.only or any(s in n for s in a.only)]
    rates: dict[str, list[float]] = {n: [] for n in names}
    agent = ["agent.ppo.n_steps=256", "agent.ppo.batch_size=256", "agent.ppo.n_epochs=4"] if a.fast_ppo else []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(a.repeats):
            for k, name in enumerate(names):
                rates[name].append(run(VARIANTS[name], a.steps, a.n_envs, Path(tmp) / f"{r}_{k}", agent))
                print(f"round {r + 1}: {name}: {rates[name][-1]:.0f} steps/s", file=sys.stderr)
    gt = statistics.median(rates[names[0]])
    from rewardgym.reward_wrappers.clip_models import cpu_has_native_bfloat16

    print(f"PPO on humanoid_kneel, {a.n_envs or 'default'} envs, {'4' if a.fast_ppo else 'default'} PPO epochs, "
          f"{a.steps} steps per run, median of {a.repeats} "
          f"({os.cpu_count()} CPUs, native bfloat16: {cpu_has_native_bfloat16()}, load {os.getloadavg()[0]:.1f})")
    print(f"{'variant':66s} {'steps/s':>8s} {'ratio':>6s}")
    for name in names:
        med = statistics.median(rates[name])
        print(f"{name:66s} {med:8.0f} {med / gt:6.3f}")


if __name__ == "__main__":
    main()
