"""Overhead of the batched CLIP reward wrapper, measured against the sum of its parts.

One run, same machine, same frames:
  with reward  rollout steps/s of a DummyVecEnv of N CartPole-v1 envs, each wrapped by
               CLIPReward, with the batched scorer (wrap_vec_env) on top;
  parts        the same rollout (same seeds and actions) timed piece by piece: bare env
               steps, env.render() of every env, and the bare model's batched forward
               (``model.encode_image`` on a preprocessed batch of the same N frames).
  overhead     time(with reward) - (env + render + model) per vector step, as a % of the sum.
               It contains the wrapper's bookkeeping, the frame preprocessing (resize/crop/
               normalise as a batch), the text-projected reward and the info plumbing.

The model is a small random open_clip model from the DESIGN.md config (ViT 4 layers, width
192, patch 16, 96x96; text 3 layers) registered here; no weights are downloaded.

    MUJOCO_GL=egl nice -n 10 .venv/bin/python benchmarks/bench_clip_reward.py --envs 8 --steps 100
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch

SMALL = {"embed_dim": 128,
         "vision_cfg": {"image_size": 96, "layers": 4, "width": 192, "head_width": 64, "patch_size": 16},
         "text_cfg": {"context_length": 32, "vocab_size": 49408, "width": 128, "heads": 4, "layers": 3}}


def make_model(folder: Path) -> tuple[str, str]:
    import open_clip

    from rewardgym.reward_wrappers.clip_models import register_config

    (folder / "bench-clip-small.json").write_text(json.dumps(SMALL))
    register_config(folder / "bench-clip-small.json")
    torch.manual_seed(0)
    ckpt = folder / "bench-clip-small.pt"
    torch.save(open_clip.create_model("bench-clip-small").state_dict(), ckpt)
    return "bench-clip-small", str(ckpt)


def actions_for(n: int, steps: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2, (steps, n))


def run_with_reward(factory, env_id, n, actions) -> float:
    from stable_baselines3.common.vec_env import DummyVecEnv

    from rewardgym.agents.vec_reward import wrap_vec_env

    venv = wrap_vec_env(DummyVecEnv([lambda: factory(gym.make(env_id, render_mode="rgb_array"))] * n), factory)
    venv.seed(0)
    venv.reset()
    venv.step(actions[0])  # warm-up (first render, first forward)
    t0 = time.perf_counter()
    for a in actions:
        venv.step(a)
    dt = time.perf_counter() - t0
    venv.close()
    return dt


def run_parts(encoder, env_id, n, actions) -> dict[str, float]:
    """Same rollout, timed piece by piece; the model sees the very frames rendered here."""
    from stable_baselines3.common.vec_env import DummyVecEnv

    venv = DummyVecEnv([lambda: gym.make(env_id, render_mode="rgb_array")] * n)
    venv.seed(0)
    venv.reset()
    venv.step(actions[0])
    [e.render() for e in venv.envs]
    t_env = t_render = t_model = t_pre = 0.0
    for a in actions:
        t0 = time.perf_counter()
        venv.step(a)
        t1 = time.perf_counter()
        frames = [e.render() for e in venv.envs]
        t2 = time.perf_counter()
        with torch.inference_mode():
            x = encoder.preprocess(frames)
            t3 = time.perf_counter()
            encoder.model.encode_image(x)
        t4 = time.perf_counter()
        t_env, t_render, t_pre, t_model = t_env + t1 - t0, t_render + t2 - t1, t_pre + t3 - t2, t_model + t4 - t3
    venv.close()
    return {"env": t_env, "render": t_render, "preprocess": t_pre, "model": t_model}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envs", type=int, default=8)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved repetitions; medians reported")
    parser.add_argument("--env-id", default="CartPole-v1", choices=("CartPole-v1", "MountainCar-v0"))
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    from rewardgym.envs.classic import TASKS as CLASSIC_TASKS
    from rewardgym.reward_wrappers.clip import CLIPReward
    from rewardgym.reward_wrappers.clip_models import load_clip

    with tempfile.TemporaryDirectory() as tmp:
        name, ckpt = make_model(Path(tmp))
        facts = CLASSIC_TASKS[args.env_id]  # the task's VLM-RM prompts
        factory = CLIPReward(goal_prompts=list(facts.goal_prompts), baseline_prompts=list(facts.baseline_prompts),
                             alpha=0.5, model=name, pretrained=ckpt, device="cpu", dtype="float32")
        encoder = load_clip(name, ckpt, "open_clip", "cpu", "float32")  # the same cached model the scorer uses
        actions = actions_for(args.envs, args.steps)
        with_reward, parts = [], []
        for _ in range(args.rounds):
            with_reward.append(run_with_reward(factory, args.env_id, args.envs, actions))
            parts.append(run_parts(encoder, args.env_id, args.envs, actions))

    total = float(np.median(with_reward))
    part = {k: float(np.median([p[k] for p in parts])) for k in parts[0]}
    base = part["env"] + part["render"] + part["model"]
    per_step = lambda t: 1e3 * t / args.steps  # noqa: E731  ms per vector step
    print(f"{args.env_id}: {args.envs} envs x {args.steps} vector steps, {args.rounds} rounds (medians), "
          f"torch threads {args.threads}")
    print(f"{'':28s}{'ms/vector step':>16s}{'env steps/s':>14s}")
    rows = [("with CLIP reward (total)", total), ("  env steps", part["env"]), ("  rendering", part["render"]),
            ("  model batched forward", part["model"]), ("  sum of parts", base),
            ("  (preprocess, in overhead)", part["preprocess"])]
    for label, t in rows:
        print(f"{label:28s}{per_step(t):16.2f}{args.envs * args.steps / t:14.0f}")
    overhead = total - base
    print(f"wrapper overhead: {per_step(overhead):.2f} ms/step = {100 * overhead / base:.1f}% of the sum of parts "
          f"(target <= 10%); without preprocessing: {100 * (overhead - part['preprocess']) / base:.1f}%")


if __name__ == "__main__":
    main()
