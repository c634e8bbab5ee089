"""Evaluates a policy on the ground-truth reward; also the ``rewardgym-eval`` command.

``rewardgym-eval RUN_DIR [--episodes N] [--video] [--final-frames]`` loads a finished (or
checkpointed) run from its Hydra output dir and reports success rate and return, optionally
writing an MP4 and a picture of the pose every episode ended in.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from omegaconf import DictConfig, OmegaConf


class _FinalFrame(gym.Wrapper):
    """Renders the last frame of the first episode (of every episode with ``every``) into its
    ``info["final_frame"]`` (before the vector env's auto-reset replaces the scene)."""

    def __init__(self, env: gym.Env, every: bool = False):
        super().__init__(env)
        self._done_once = False
        self._every = every

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        if (terminated or truncated) and (self._every or not self._done_once):
            self._done_once = True
            try:
                frame = self.env.render()
            except Exception:  # an env that cannot render rgb_array: no picture, the numbers still count
                frame = None
            if frame is not None:
                info = {**info, "final_frame": np.asarray(frame).copy()}
        return obs, reward, terminated, truncated, info


def run_episodes(policy, cfg: DictConfig, episodes: int, seed: int, vecnorm_path: Path | None = None,
                 render_episodes: int = 0, deterministic: bool = True, final_frames: list | None = None,
                 every_final_frame: bool = False, per_episode: list | None = None) -> tuple[dict[str, Any], list[np.ndarray]]:
    """Runs ``episodes`` episodes with ``policy`` (an SB3 model, or None for uniform random
    actions) on the env's ground-truth reward (the run's env stack without its reward wrapper;
    on ``eval.env`` when the config sets one, e.g. the live page of a dataset-trained GUI policy).
    Returns mean/std return, success rate (``info["success"]`` at the episode's last step), the
    rate of episodes successful at any step (``success_any_rate``: Meta-World's own evaluation,
    which ends an episode at its first success), length, and the frames of the first
    ``render_episodes`` episodes. With a ``final_frames`` list, the last frame of the first
    episode (the pose it ended in; of every episode with ``every_final_frame``) is appended to it,
    where the env renders. With a ``per_episode`` list, each episode's ``return``, ``success`` and
    ``success_any`` are appended to it, in order."""
    from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize

    from .env_factory import extra_wrappers, make_env

    render = "rgb_array" if render_episodes > 0 or final_frames is not None else None
    env_cfg = cfg.eval.get("env") or cfg.env
    final = [lambda env: _FinalFrame(env, every_final_frame)] if final_frames is not None else []
    wrappers = extra_wrappers(cfg.get("wrappers")) + final
    base = DummyVecEnv([make_env(env_cfg, None, seed, None, render, wrappers)])
    base.seed(seed)
    venv = base
    if vecnorm_path is not None and policy is not None:
        venv = VecNormalize.load(str(vecnorm_path), base)
        venv.training = False
        venv.norm_reward = False
    returns, lengths, successes, frames = [], [], [], []
    any_success, reached = [], False
    obs = venv.reset()
    while len(returns) < episodes:
        if policy is None:
            action = np.array([venv.action_space.sample()])
        else:
            action, _ = policy.predict(obs, deterministic=deterministic)
        if len(returns) < render_episodes:
            frames.append(np.asarray(base.envs[0].render()))
        obs, _, done, info = venv.step(action)
        reached = reached or bool(info[0].get("success", False))
        if done[0]:
            if final_frames is not None and "final_frame" in info[0]:
                final_frames.append(info[0]["final_frame"])
            returns.append(float(info[0]["episode"]["r"]))
            lengths.append(int(info[0]["episode"]["l"]))
            successes.append(float(bool(info[0].get("success", False))))
            any_success.append(float(reached))
            if per_episode is not None:
                per_episode.append({"return": returns[-1], "success": bool(successes[-1]), "success_any": reached})
            reached = False
    venv.close()
    stats = {
        "episodes": episodes,
        "return_mean": float(np.mean(returns)),
        "return_std": float(np.std(returns)),
        "success_rate": float(np.mean(successes)),
        "success_any_rate": float(np.mean(any_success)),
        "length_mean": float(np.mean(lengths)),
    }
    return stats, frames


def write_mp4(path: Path, frames: list[np.ndarray], fps: int = 30) -> None:
    import imageio.v2 as imageio

    imageio.mimsave(str(path), frames, fps=fps)


def rollout_stats(policy, cfg: DictConfig, episodes: int, seed: int, vecnorm_path: Path | None = None,
                  video_path: Path | None = None, deterministic: bool = True) -> dict[str, Any]:
    """:func:`run_episodes`; with ``video_path``, the first 3 episodes are written there as an MP4."""
    stats, frames = run_episodes(policy, cfg, episodes, seed, vecnorm_path, 3 if video_path else 0, deterministic)
    if video_path is not None and frames:
        write_mp4(video_path, frames)
    return stats


def write_final_frames(path: Path, frames: list[np.ndarray], episodes: list[dict], title: str = "") -> None:
    """A grid of the frames the evaluation episodes ended in, each titled with its ground-truth
    success at the last step and its return (``rewardgym-eval --final-frames``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = min(len(frames), 5)
    rows = -(-len(frames) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(2.2 * cols, 2.4 * rows + 0.4), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i, (ax, frame, ep) in enumerate(zip(axes.flat, frames, episodes)):
        ax.imshow(frame)
        ax.set_title(f"{i}: {'success' if ep['success'] else 'fail'}, {ep['return']:.1f}", fontsize=8,
                     color="tab:green" if ep["success"] else "tab:red")
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def load_run(run_dir: Path):
    """``(cfg, model, vecnormalize path or None)`` of a run dir (final model, else last checkpoint)."""
    from .algorithms import algorithm_class
    from .callbacks import latest_checkpoint

    run_dir = Path(run_dir)
    cfg_path = run_dir / ".hydra" / "config.yaml"
    if not cfg_path.exists():
        raise FileNotFoundError(f"{run_dir} is not a rewardgym run dir: {cfg_path} is missing")
    cfg = OmegaConf.load(cfg_path)
    if cfg.agent.get("algo") == "rllib_ppo":  # agents/rllib/: the final RLModule, no VecNormalize
        from .rllib.policy import RLModulePolicy

        if not (run_dir / "final_module").exists():
            raise FileNotFoundError(f"no final_module/ in {run_dir} (an RLlib run that did not finish: "
                                    "resume it with resume=true)")
        return cfg, RLModulePolicy.load(run_dir / "final_module"), None
    model_path, vecnorm = run_dir / "final_model.zip", run_dir / "vecnormalize.pkl"
    if not model_path.exists():
        found = latest_checkpoint(run_dir / "checkpoints")
        if found is None:
            raise FileNotFoundError(f"no final_model.zip nor checkpoint in {run_dir}")
        model_path, vecnorm = found
    model = algorithm_class(cfg.agent).load(model_path, device="cpu")
    return cfg, model, (vecnorm if vecnorm is not None and Path(vecnorm).exists() else None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rewardgym-eval", description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path, help="a rewardgym-train output dir")
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--seed", type=int, default=10_000)
    parser.add_argument("--video", action="store_true", help="write eval.mp4 (first 3 episodes)")
    parser.add_argument("--stochastic", action="store_true", help="sample actions instead of the mode")
    parser.add_argument("--final-frames", action="store_true",
                        help="write final_frames.png: the frame every episode ended in, with its success and return")
    args = parser.parse_args(argv)
    if args.episodes < 1:
        parser.error(f"--episodes must be >= 1, got {args.episodes}")
    try:
        cfg, model, vecnorm = load_run(args.run_dir)
    except FileNotFoundError as err:
        print(f"rewardgym-eval: {err}", file=sys.stderr)
        return 2
    video = args.run_dir / "eval.mp4" if args.video else None
    finals: list[np.ndarray] = []
    episodes: list[dict] = []
    stats, frames = run_episodes(model, cfg, args.episodes, args.seed, vecnorm, 3 if video else 0, not args.stochastic,
                                 finals if args.final_frames else None, every_final_frame=True, per_episode=episodes)
    if video and frames:
        write_mp4(video, frames)
    if finals:
        write_final_frames(args.run_dir / "final_frames.png", finals, episodes,
                           f"{'/'.join(args.run_dir.resolve().parts[-2:])}: success {stats['success_rate']:.0%} "
                           f"({args.episodes} episodes from seed {args.seed})")
    (args.run_dir / "eval.json").write_text(json.dumps(stats, indent=2))
    print(json.dumps(stats, indent=2))
    if video:
        print(f"video: {video}")
    if args.final_frames:
        print(f"final frames: {args.run_dir / 'final_frames.png'}" if finals
              else "final frames: none (the env does not render rgb_array)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
