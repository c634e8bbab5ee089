"""Ground-truth evaluation during training: watch the task get solved while a model reward rises.

Every ``every`` env steps, :class:`GroundTruthEval` runs the current deterministic policy on the
run's env stack *without* its reward wrapper and logs ``eval/success_rate``, ``eval/return_mean``
and ``eval/length_mean`` to TensorBoard (beside ``reward/shaped_mean``, the model reward PPO is
climbing) and to ``eval_curve.json`` in the run dir (the sweep summary's steps-to-success).
With ``video``, the first evaluation episode is written to ``videos/eval_<steps>_steps.mp4`` and
shown in TensorBoard's Images tab as an animated GIF (``eval/video``; TensorBoard's own video
summary needs moviepy 1.x, the GIF needs nothing more).
"""
from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Callable

import numpy as np
from omegaconf import DictConfig
from stable_baselines3.common.callbacks import BaseCallback

from .evaluate import run_episodes, write_mp4


class GroundTruthEval(BaseCallback):
    """Evaluates the current policy on the ground truth every ``every`` env steps.

    Args:
        cfg: the run's config (env, wrappers).
        run_dir: where ``videos/`` and the evaluation's VecNormalize statistics go.
        every: env steps between evaluations (> 0).
        episodes: evaluation episodes each time (>= 1).
        video: also record the first episode (mp4 + TensorBoard GIF).
        seed: evaluation episodes use seeds ``seed, seed + 1, ...`` every time, so numbers compare.
        on_eval: called as ``on_eval(num_timesteps, stats)`` after each evaluation; returning False
            stops training (``rewardgym-tune`` reports to its pruner this way).
    """

    def __init__(self, cfg: DictConfig, run_dir: Path, every: int, episodes: int = 10, video: bool = False,
                 seed: int = 20_000, on_eval: Callable[[int, dict], bool] | None = None):
        if isinstance(every, bool) or int(every) < 1:
            raise ValueError(f"eval.every must be an integer >= 1 (or 0 for off), got {every!r}")
        if isinstance(episodes, bool) or int(episodes) < 1:
            raise ValueError(f"eval.every_episodes must be an integer >= 1, got {episodes!r}")
        super().__init__()
        self.cfg, self.run_dir = cfg, Path(run_dir)
        self.every, self.episodes, self.video, self.seed = int(every), int(episodes), bool(video), int(seed)
        self.on_eval = on_eval
        self._last = 0
        self.history: list[dict] = []

    def _init_callback(self) -> None:
        self._last = self.num_timesteps

    def _on_step(self) -> bool:
        if self.num_timesteps - self._last >= self.every:
            self._last = self.num_timesteps
            stats = self.evaluate()
            if self.on_eval is not None and not self.on_eval(self.num_timesteps, stats):
                return False
        return True

    def evaluate(self) -> dict:
        vecnorm_path = None
        vn = self.model.get_vec_normalize_env()
        if vn is not None:
            vecnorm_path = self.run_dir / "eval_vecnormalize.pkl"
            vn.save(str(vecnorm_path))
        stats, frames = run_episodes(self.model, self.cfg, self.episodes, self.seed, vecnorm_path,
                                     render_episodes=1 if self.video else 0)
        steps = self.num_timesteps
        for key in ("success_rate", "return_mean", "length_mean"):
            self.logger.record(f"eval/{key}", stats[key])
        if frames:
            videos = self.run_dir / "videos"
            videos.mkdir(parents=True, exist_ok=True)
            write_mp4(videos / f"eval_{steps}_steps.mp4", frames)
            self._tensorboard_gif("eval/video", frames, steps)
        self.logger.dump(steps)
        self.history.append({"steps": steps, **stats})
        self._write_curve()
        return stats

    def _write_curve(self) -> None:
        """``eval_curve.json``: every evaluation so far (a resumed run keeps the earlier ones),
        read by the sweep summary for steps-to-success columns (``agents/sweep.py``)."""
        path = self.run_dir / "eval_curve.json"
        first = self.history[0]["steps"]
        earlier = [e for e in json.loads(path.read_text()) if e["steps"] < first] if path.exists() else []
        path.write_text(json.dumps(earlier + self.history, indent=1))

    def _tensorboard_gif(self, tag: str, frames: list[np.ndarray], steps: int) -> None:
        from stable_baselines3.common.logger import TensorBoardOutputFormat

        writer = next((f.writer for f in self.logger.output_formats if isinstance(f, TensorBoardOutputFormat)), None)
        if writer is None:
            return
        import imageio.v2 as imageio
        from torch.utils.tensorboard.summary import Summary

        small = [f[::2, ::2] if f.shape[0] > 128 else f for f in frames]  # TensorBoard shows it inline
        buf = io.BytesIO()
        imageio.mimsave(buf, small, format="GIF", duration=1 / 30, loop=0)
        h, w = small[0].shape[:2]
        image = Summary.Image(height=h, width=w, colorspace=3, encoded_image_string=buf.getvalue())
        writer.file_writer.add_summary(Summary(value=[Summary.Value(tag=tag, image=image)]), steps)
        writer.flush()
