"""``rewardgym-make-clip-data``: rendered frames of rewardgym's scenes, labelled from simulator state.

Sources (each a scene of a rewardgym task, labelled by ground truth, see ``captions``):

* ``humanoid``: ``rewardgym/HumanoidPose-v0`` frames from the env's own side camera. States:
  a named reference pose with joint noise (``humanoid_poses.random_pose_qpos(near=...)``),
  uniformly random joint angles, or a short rollout of random torques from a noisy pose (the
  states an RL policy visits). Label: the pose whose geometric success test holds
  (``humanoid_tasks.satisfied``; ``captions.HUMANOID_PRIORITY`` breaks ties), else ``other``.
* ``policy`` (hard negatives, ``--policy-runs``): the states that trained ``rewardgym-train``
  policies reach on the humanoid pose scene (their deterministic action, with a random action
  at a rate drawn per episode from ``POLICY_NOISE``), every ``POLICY_EVERY``-th step after the
  first ``POLICY_SKIP``. A policy that learned to hack a CLIP reward reaches states the model
  scores highly that are not its pose; labelled by the same geometric tests (and all kept,
  including ``other``), they become negatives of that pose's captions in the next model.
* ``cartpole``: Gymnasium ``CartPole-v1`` frames with the state set directly; label from the
  pole angle. ``mountaincar``: ``MountainCar-v0``; label from the car position.

Frames are brought to the model's resolution by the CLIP reward's own function
(``clip_models.model_frames``), so training sees what the reward sees. The train and test splits come from disjoint seeds (test seeds are offset by
``TEST_SEED_OFFSET``); test captions later use held-out paraphrases.

Output: ``<out>/train.npz`` and ``<out>/test.npz`` (``images`` uint8 (N,S,S,3), ``labels``
indices into ``captions.LABELS``, ``domains``, ``rewards`` float32 (N, len(LABELS)): each
humanoid frame's dense ground-truth reward of every pose task in that task's label column, NaN
elsewhere) and ``<out>/meta.json``.
"""
from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from pathlib import Path

import numpy as np

from . import captions

TEST_SEED_OFFSET = 1_000_003
OTHER_DROP = 0.5  # fraction of unlabelled ("other") humanoid states skipped
SOURCES = ("humanoid", "cartpole", "mountaincar", "policy")
POLICY_NOISE = (0.0, 0.0, 0.1, 0.3)  # per-episode rate of random actions in policy rollouts
POLICY_SKIP, POLICY_EVERY = 20, 4  # policy states: from step POLICY_SKIP on, every POLICY_EVERY steps


def normalise_images(images_u8, model, device):
    """uint8 (N,S,S,3) -> normalised float NCHW with the model's mean/std (as the CLIP reward)."""
    import open_clip
    import torch

    cfg = getattr(model.visual, "preprocess_cfg", {}) or {}
    mean = torch.tensor(cfg.get("mean", open_clip.OPENAI_DATASET_MEAN), device=device).view(1, 3, 1, 1)
    std = torch.tensor(cfg.get("std", open_clip.OPENAI_DATASET_STD), device=device).view(1, 3, 1, 1)
    x = torch.as_tensor(images_u8, device=device).permute(0, 3, 1, 2).float() / 255.0
    return (x - mean) / std


def data_dirs(data_dir: str | Path) -> list[Path]:
    """The folders of a ``--data`` value: one folder, or a comma list of them."""
    return [Path(d) for d in str(data_dir).split(",")]


def load_split(data_dir: str | Path, split: str) -> dict:
    """One split of a data folder; ``data_dir`` may be a comma list of folders (e.g. the base data and
    a hard-negative round's ``--policy`` frames), whose splits are concatenated in that order."""
    dirs, parts = data_dirs(data_dir), []
    for d in dirs:
        path = d / f"{split}.npz"
        if not path.exists():
            raise FileNotFoundError(f"{path} not found; make it with rewardgym-make-clip-data --out {d}")
        with np.load(path) as z:
            parts.append({k: z[k] for k in z.files})
    if len(parts) == 1:
        return parts[0]
    keys = set(parts[0])
    for d, part in zip(dirs, parts):
        if set(part) != keys or part["images"].shape[1:] != parts[0]["images"].shape[1:]:
            raise ValueError(f"{d}/{split}.npz does not match {dirs[0]}: arrays "
                             f"{sorted(part)} of {part['images'].shape[1:]} against {sorted(keys)} of "
                             f"{parts[0]['images'].shape[1:]}")
    return {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}


def to_model_frames(frames, size: int) -> np.ndarray:
    """uint8 HxWx3 frames -> uint8 (N,size,size,3), exactly as the CLIP reward's model sees them
    (``clip_models.model_frames``: centre square crop, antialiased bicubic resize)."""
    from rewardgym.reward_wrappers.clip_models import model_frames

    return model_frames(frames, size)


def humanoid_frames(n: int, seed: int, size: int = 224):
    """``n`` (frame, label, rewards) triples of the humanoid pose scene from one seeded RNG;
    ``rewards`` maps each pose task to its dense ground-truth reward in that state."""
    import gymnasium as gym

    import rewardgym  # noqa: F401  (registers the envs)
    from rewardgym.envs.mujoco.humanoid_poses import POSES, random_pose_qpos
    from rewardgym.envs.mujoco.humanoid_tasks import satisfied

    env = gym.make("rewardgym/HumanoidPose-v0", render_mode="rgb_array", width=size, height=size)
    u = env.unwrapped
    rng = np.random.default_rng(seed)
    env.reset(seed=seed)
    poses = sorted(POSES)
    out = []
    while len(out) < n:
        r = rng.random()
        if r < 0.1:
            u.set_pose(random_pose_qpos(u.model, rng))
        else:
            near = str(rng.choice(poses))
            u.set_pose(random_pose_qpos(u.model, rng, near=near, noise_deg=float(rng.uniform(2, 12))))
            if r > 0.65:  # a short rollout of random torques from there
                for _ in range(int(rng.integers(1, 30))):
                    u.do_simulation(rng.uniform(-0.4, 0.4, u.action_space.shape), u.frame_skip)
        m = u.task_metrics()
        if captions.humanoid_label(satisfied(m)) == "other" and rng.random() < OTHER_DROP:  # pose classes the majority
            continue
        out.append(_labelled_state(u, m))
    env.close()
    return out


def _labelled_state(u, metrics=None) -> tuple:
    """(frame, label, rewards) of a humanoid pose env's current state (``metrics``: its
    ``task_metrics()`` if already computed): the label from the pose tests, the dense ground-truth
    reward of every pose task."""
    from rewardgym.envs.mujoco.humanoid_tasks import TASKS, satisfied

    m = u.task_metrics() if metrics is None else metrics
    return u.render(), captions.humanoid_label(satisfied(m)), {name: task.reward(m)[0] for name, task in TASKS.items()}


def policy_frames(n: int, seed: int, runs: tuple[str, ...], size: int = 224):
    """``n`` (frame, label, rewards) triples of states that the policies of ``runs``
    (``rewardgym-train`` run dirs of ``rewardgym/HumanoidPose-v0``) reach; the run is chosen by
    ``seed``, so consecutive chunks cycle through the runs."""
    import gymnasium as gym
    from omegaconf import OmegaConf

    import rewardgym  # noqa: F401  (registers the envs)
    from rewardgym.agents.env_factory import env_kwargs
    from rewardgym.reward_quality.rollouts import ppo_policy

    run = runs[seed % len(runs)]
    cfg = OmegaConf.load(Path(run) / ".hydra" / "config.yaml")
    if cfg.env.id != "rewardgym/HumanoidPose-v0":
        raise ValueError(f"--policy-runs: {run} was trained on {cfg.env.id}, not rewardgym/HumanoidPose-v0")
    env = gym.make(cfg.env.id, render_mode="rgb_array", width=size, height=size, **env_kwargs(cfg.env))
    policy = ppo_policy(run, env)
    u, rng, out, space = env.unwrapped, np.random.default_rng(seed), [], env.action_space
    episode = 0
    while len(out) < n:
        obs, info = env.reset(seed=int(seed * 1000 + episode))
        eps, episode, before = float(rng.choice(POLICY_NOISE)), episode + 1, len(out)
        for t in range(10_000):
            action = rng.uniform(space.low, space.high) if rng.random() < eps else policy(env, obs, info, rng)
            obs, _, term, trunc, info = env.step(action)
            if t >= POLICY_SKIP and t % POLICY_EVERY == 0 and len(out) < n:
                out.append(_labelled_state(u))
            if term or trunc:
                break
        if len(out) == before:
            raise ValueError(f"--policy-runs: an episode of {run} ended after {t + 1} steps, before step "
                             f"{POLICY_SKIP} where policy states are first sampled")
    env.close()
    return out


def _set_state_frames(env_id: str, n: int, seed: int, sample) -> list:
    """``n`` (frame, label) pairs of a Gymnasium classic-control env put into sampled states:
    ``sample(rng) -> (state, label or None)``; a None label is skipped."""
    import gymnasium as gym

    env = gym.make(env_id, render_mode="rgb_array")
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < n:
        state, label = sample(rng)
        env.unwrapped.state = state
        if label is not None:
            out.append((env.render(), label))
    env.close()
    return out


def cartpole_frames(n: int, seed: int):
    def sample(rng):
        theta = rng.uniform(-0.05, 0.05) if rng.random() < 0.5 else rng.choice([-1, 1]) * rng.uniform(0.15, 0.8)
        return np.array([rng.uniform(-1.5, 1.5), 0.0, theta, 0.0]), captions.cartpole_label(theta)

    return _set_state_frames("CartPole-v1", n, seed, sample)


MOUNTAINCAR_BANDS = [(-0.65, -0.4), (-0.9, -0.78), (-0.27, 0.3)]  # valley, left, right (visible after the crop)


def mountaincar_frames(n: int, seed: int):
    def sample(rng):
        lo, hi = MOUNTAINCAR_BANDS[int(rng.integers(len(MOUNTAINCAR_BANDS)))]
        pos = rng.uniform(lo, hi)
        return np.array([pos, 0.0]), captions.mountaincar_label(pos)

    return _set_state_frames("MountainCar-v0", n, seed, sample)


def make_split(counts: dict[str, int], seed: int, size: int, chunk: int = 64, progress: bool = True,
               policy_runs: tuple[str, ...] = ()) -> dict:
    """Renders ``counts[source]`` frames per source; each chunk of ``chunk`` frames has its own seed."""
    makers = {"humanoid": humanoid_frames, "cartpole": cartpole_frames, "mountaincar": mountaincar_frames,
              "policy": functools.partial(policy_frames, runs=tuple(policy_runs))}
    images, labels, domains, rewards = [], [], [], []
    total, done, t0 = sum(counts.values()), 0, time.time()
    for src, n in counts.items():
        for c, start in enumerate(range(0, n, chunk)):
            pairs = makers[src](min(chunk, n - start), seed=seed * 7919 + 1000 * SOURCES.index(src) + c)
            images.append(to_model_frames([p[0] for p in pairs], size))
            labels += [captions.LABELS.index(p[1]) for p in pairs]
            domains += ["humanoid" if src == "policy" else src] * len(pairs)
            for p in pairs:
                row = np.full(len(captions.LABELS), np.nan, np.float32)
                for name, value in (p[2] if len(p) > 2 else {}).items():
                    row[captions.LABELS.index(name)] = value
                rewards.append(row)
            done += len(pairs)
            if progress:
                rate = done / max(time.time() - t0, 1e-9)
                print(f"\r[{src}] {done}/{total} frames, {rate:.1f}/s", end="", file=sys.stderr, flush=True)
    if progress:
        print(file=sys.stderr)
    return {"images": np.concatenate(images) if images else np.zeros((0, size, size, 3), np.uint8),
            "labels": np.asarray(labels, np.int16), "domains": np.asarray(domains),
            "rewards": np.asarray(rewards, np.float32).reshape(-1, len(captions.LABELS))}


def label_counts(split: dict) -> dict[str, int]:
    vals, cnt = np.unique(split["labels"], return_counts=True)
    return {captions.LABELS[int(v)]: int(c) for v, c in zip(vals, cnt)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="rewardgym-make-clip-data", description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True, help="output folder")
    for src, default in (("humanoid", 16000), ("cartpole", 2000), ("mountaincar", 2000), ("policy", 0)):
        p.add_argument(f"--{src}", type=int, default=default, help=f"train frames of {src}")
    p.add_argument("--policy-runs", default="", help="comma list of rewardgym-train run dirs on the humanoid pose "
                   "scene whose policies' states make the --policy frames (hard negatives)")
    p.add_argument("--test-fraction", type=float, default=0.15, help="test frames per source, as a fraction of train")
    p.add_argument("--size", type=int, default=None,
                   help="model input resolution in pixels (default: the default bundled model's, read from its config; "
                   "96 for rewardgym-clip-small and -captions)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--split", choices=("both", "train", "test"), default="both", help="which split(s) to render")
    a = p.parse_args(argv)
    if not 0 < a.test_fraction <= 1:
        raise SystemExit(f"--test-fraction must be in (0, 1], got {a.test_fraction}")
    if a.size is None:
        from rewardgym.reward_wrappers.clip_models import input_size

        a.size = input_size(None)
    if a.size < 8:
        raise SystemExit(f"--size must be at least 8 pixels, got {a.size}")
    counts = {s: getattr(a, s) for s in SOURCES if getattr(a, s) > 0}
    runs = tuple(r for r in a.policy_runs.split(",") if r)
    if ("policy" in counts) != bool(runs):
        raise SystemExit("--policy N needs --policy-runs DIR[,DIR] and the other way round")
    for r in runs:
        if not (Path(r) / ".hydra" / "config.yaml").exists():
            raise SystemExit(f"--policy-runs: {r} is not a rewardgym-train run dir (no .hydra/config.yaml)")
    if not counts:
        raise SystemExit("nothing to render: all of --humanoid, --cartpole, --mountaincar are 0")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    meta = {"command": " ".join(["rewardgym-make-clip-data"] + (argv if argv is not None else sys.argv[1:])),
            "size": a.size, "seed": a.seed, "labels": captions.LABELS, "policy_runs": list(runs)}
    for split, seed, scale in (("train", a.seed, 1.0), ("test", a.seed + TEST_SEED_OFFSET, a.test_fraction)):
        if a.split not in ("both", split):
            continue
        t0 = time.time()
        data = make_split({s: max(1, int(round(n * scale))) for s, n in counts.items()}, seed, a.size,
                          policy_runs=runs)
        np.savez_compressed(out / f"{split}.npz", **data)
        meta[split] = {"frames": int(len(data["labels"])), "seed": seed, "seconds": round(time.time() - t0, 1),
                       "label_counts": label_counts(data)}
        print(f"{split}: {meta[split]}", file=sys.stderr)
    meta_path = out / "meta.json"
    if meta_path.exists():  # keep what another --split run wrote
        meta = {**json.loads(meta_path.read_text()), **{k: v for k, v in meta.items() if k != "command"}}
    meta_path.write_text(json.dumps(meta, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
