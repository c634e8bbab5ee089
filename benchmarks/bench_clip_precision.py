"""The bundled CLIP's rewards and speed on a CPU: float32, bfloat16 autocast, bfloat16 fast tower.

Renders humanoid frames at the model's input size the way the CLIP reward does (96 px, no
multisampling, 16-slice geoms): for each pose, ``--per-pose`` states near the pose (2-25
degrees of joint noise, random heading) and as many uniformly random ones. Each variant scores
all frames for every task's goal prompt (VLM-RM's cosine, alpha 0); printed per variant: Pearson
with float32 over all (frame, task) pairs, the largest difference, and ms per frame (one torch
thread, batches of ``--batch``, median of ``--repeats`` alternated rounds).

    .venv/bin/python benchmarks/bench_clip_precision.py --per-pose 25 --repeats 5
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np


def frames_and_prompts(per_pose: int, size: int, seed: int):
    import gymnasium as gym

    import rewardgym  # noqa: F401
    from rewardgym.envs.mujoco.humanoid_poses import POSES, random_pose_qpos
    from rewardgym.envs.mujoco.humanoid_tasks import TASKS

    env = gym.make("rewardgym/HumanoidPose-v0")
    env.reset(seed=seed)
    base, rng, frames = env.unwrapped, np.random.default_rng(seed), []
    for pose in POSES:
        for k in range(2 * per_pose):
            near = pose if k < per_pose else None
            base.set_pose(random_pose_qpos(base.model, rng, near=near, noise_deg=float(rng.uniform(2, 25))))
            frames.append(base.render_frame(size, size, antialias=False, slices=16))
    env.close()
    return np.stack(frames), [TASKS[t].goal_prompts[0] for t in TASKS]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--per-pose", type=int, default=25)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    import torch

    torch.set_num_threads(1)
    from rewardgym.reward_wrappers.clip_models import ClipEncoder, load_clip

    fp32 = load_clip(dtype="float32")
    fast = load_clip(dtype="bfloat16")
    os.environ["REWARDGYM_CLIP_FAST"] = "0"
    own = ClipEncoder(fast.model, fast.tokenizer, fast.image_size, fast.mean.flatten().tolist(),
                      fast.std.flatten().tolist(), "cpu", torch.bfloat16, "open_clip")
    variants = {"float32": fp32, "bfloat16 autocast, the model's own forward": own,
                "bfloat16 autocast, fast tower (the default)": fast}
    frames, prompts = frames_and_prompts(a.per_pose, fp32.image_size, a.seed)
    text = torch.nn.functional.normalize(fp32.encode_text(prompts).float(), dim=-1)

    def rewards(enc):
        out = torch.cat([enc.encode_images(frames[i:i + a.batch]) for i in range(0, len(frames), a.batch)])
        return (torch.nn.functional.normalize(out.float(), dim=-1) @ text.T).numpy()

    scores = {name: rewards(enc) for name, enc in variants.items()}
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(a.repeats):
        for name, enc in variants.items():
            t0 = time.perf_counter()
            rewards(enc)
            times[name].append((time.perf_counter() - t0) / len(frames) * 1e3)
    ref = scores["float32"].ravel()
    print(f"{len(frames)} humanoid frames x {len(prompts)} goal prompts, batch {a.batch}, one torch thread, "
          f"median of {a.repeats} (load {os.getloadavg()[0]:.1f}); float32 rewards spread {ref.std():.3f}")
    print(f"{'variant':46s} {'Pearson':>8s} {'max |diff|':>10s} {'ms/frame':>9s} {'speed-up':>8s}")
    base_ms = statistics.median(times["float32"])
    for name in variants:
        r = scores[name].ravel()
        ms = statistics.median(times[name])
        print(f"{name:46s} {np.corrcoef(ref, r)[0, 1]:8.5f} {np.abs(ref - r).max():10.4f} {ms:9.3f} {base_ms / ms:7.2f}x")


if __name__ == "__main__":
    main()
