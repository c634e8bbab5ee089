"""Ground-truth evaluation during training: watch the task get solved while a model reward rises.

Every ``every`` env steps, :class:`GroundTruthEval` runs the current deterministic policy on the
run's env stack *without* its reward wrapper and logs ``eval/success_rate``, ``eval/return_mean``
and ``eval/length_mean`` to TensorBoard (beside ``reward/shaped_mean``, the model reward PPO is
climbing) and to ``eval_curve.json`` in the run dir (the sweep summary's steps-to-success).
With ``video``, the first evaluation episode is written to ``videos/eval_<steps>_steps.mp4`` and
shown in TensorBoard's Images tab as an animated GIF (``eval/video``; TensorBoard's own video
summary needs moviepy 1.x, the GIF needs nothing more).

With ``hacking`` (a :class:`~rewardgym.agents.hacking_signal.HackingRule`), a random policy is
evaluated once at the start on the same episodes, and every evaluation feeds a
:class:`~rewardgym.agents.hacking_signal.HackingDetector` with the window's model reward (the
training reward's mean per step since the previous evaluation; the reference it rises from is the
training reward of the run's first ``reference_steps`` env steps) and the ground truth: TensorBoard
gets ``eval/hacking`` (1 when the signal fires), ``eval/model_reward``, ``eval/model_reward_rise``
and the final frame of the first evaluation episode (``eval/final_pose``, where the env renders);
``hacking.json`` in the run dir keeps every evaluation's verdict (``metrics.json`` copies its
summary at the end) and ``hacking_final_pose.png`` the final pose of the latest evaluation at which
the signal fired. A line is printed when it first fires.
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
from .hacking_signal import HackingDetector, HackingRule, rule_from_config


def _mean_std(totals: tuple[int, float, float]) -> tuple[float, float]:
    """Mean and standard deviation per step from a count, a sum and a sum of squares (count > 0)."""
    n, total, squares = totals
    mean = total / n
    return mean, float(np.sqrt(max(squares / n - mean * mean, 0.0)))


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
        hacking: the hacking signal's thresholds; None: those of ``cfg.eval.hacking`` (no signal
            when that is absent or its ``enabled`` is false).
    """

    def __init__(self, cfg: DictConfig, run_dir: Path, every: int, episodes: int = 10, video: bool = False,
                 seed: int = 20_000, on_eval: Callable[[int, dict], bool] | None = None,
                 hacking: HackingRule | None = None):
        if isinstance(every, bool) or int(every) < 1:
            raise ValueError(f"eval.every must be an integer >= 1 (or 0 for off), got {every!r}")
        if isinstance(episodes, bool) or int(episodes) < 1:
            raise ValueError(f"eval.every_episodes must be an integer >= 1, got {episodes!r}")
        super().__init__()
        self.cfg, self.run_dir = cfg, Path(run_dir)
        self.every, self.episodes, self.video, self.seed = int(every), int(episodes), bool(video), int(seed)
        self.on_eval = on_eval
        self.rule = hacking if hacking is not None else rule_from_config(cfg)
        self.detector: HackingDetector | None = None
        self._last = 0
        self._window = (0, 0.0, 0.0)  # the training reward since the last evaluation: count, sum, sum of squares
        self._first = (0, 0.0, 0.0)   # ... since the start, until the hacking reference is set
        self._scored_mark = (0, 0.0, 0.0)
        self.history: list[dict] = []

    def _init_callback(self) -> None:
        self._last = self.num_timesteps
        if self.rule is not None:
            self.detector = self._start_detector()
            self._scored_mark = self._scored_totals()

    def _on_step(self) -> bool:
        if self.rule is not None and not hasattr(self.model, "scored_reward_totals"):
            rewards = self.locals.get("rewards")
            if rewards is not None:
                r = np.asarray(rewards, dtype=np.float64)
                add = (r.size, float(r.sum()), float((r * r).sum()))
                self._window = tuple(a + b for a, b in zip(self._window, add))
                if self.detector is not None and self.detector.reference is None:
                    self._first = tuple(a + b for a, b in zip(self._first, add))
                    self._maybe_set_reference(self._first)
        elif self.rule is not None and self.detector is not None and self.detector.reference is None:
            self._maybe_set_reference(self._scored_totals())
        if self.num_timesteps - self._last >= self.every:
            self._last = self.num_timesteps
            stats = self.evaluate()
            if self.on_eval is not None and not self.on_eval(self.num_timesteps, stats):
                return False
        return True

    # ------------------------------------------------------------------ hacking signal
    def _scored_totals(self) -> tuple[int, float, float]:
        """Running totals of a per-rollout scorer (:class:`~rewardgym.agents.vec_reward.RolloutScoredPPO`):
        its rewards are known once a rollout is scored, so a window ends at the last scored rollout."""
        n, total, squares = getattr(self.model, "scored_reward_totals", (0, 0.0, 0.0))
        return int(n), float(total), float(squares)

    def _maybe_set_reference(self, totals: tuple[int, float, float]) -> None:
        """The hacking reference from the training reward since the start (count, sum, sum of
        squares) once it covers ``rule.reference_steps`` env steps."""
        if totals[0] >= self.rule.reference_steps:
            self.detector.set_reference(*_mean_std(totals), totals[0])

    def _window_reward(self) -> tuple[float | None, float | None]:
        """Mean and standard deviation per step of the training reward since the last evaluation."""
        if hasattr(self.model, "scored_reward_totals"):
            now = self._scored_totals()
            n, total, squares = (a - b for a, b in zip(now, self._scored_mark))
            self._scored_mark = now
        else:
            (n, total, squares), self._window = self._window, (0, 0.0, 0.0)
        return _mean_std((n, total, squares)) if n else (None, None)

    def _start_detector(self) -> HackingDetector:
        """The random policy's ground truth on the evaluations' own episodes (once); a resumed run
        continues the detector it saved."""
        path = self.run_dir / "hacking.json"
        if self.num_timesteps > 0 and path.exists():
            return HackingDetector.from_state(self.rule, json.loads(path.read_text()))
        for stale in (path, self.run_dir / "hacking_final_pose.png"):  # a fresh run in a used dir
            stale.unlink(missing_ok=True)
        rnd, _ = run_episodes(None, self.cfg, self.episodes, self.seed)
        return HackingDetector(self.rule, rnd["success_rate"], rnd["return_mean"], rnd["return_std"])

    def _hacking_step(self, steps: int, stats: dict, final: list[np.ndarray]) -> None:
        det = self.detector
        was_fired = det.fired_at is not None
        mean, std = self._window_reward()
        row = det.update(steps, mean, stats["success_rate"], stats["return_mean"], model_std=std)
        self.logger.record("eval/hacking", float(row["hacking"]))
        if row["model_reward"] is not None:
            self.logger.record("eval/model_reward", row["model_reward"])
        if row["rise"] is not None and np.isfinite(row["rise"]):
            self.logger.record("eval/model_reward_rise", row["rise"])
        pose = self.run_dir / "hacking_final_pose.png"
        if final:
            self._tensorboard_image("eval/final_pose", final[0], steps)
            if row["hacking"]:
                import imageio.v2 as imageio

                imageio.imwrite(pose, final[0])
        state = {**det.state(), "final_pose": pose.name if pose.exists() and det.fired_at is not None else None}
        (self.run_dir / "hacking.json").write_text(json.dumps(state, indent=1))
        if row["hacking"] and not was_fired:
            print(f"[rewardgym] {det.message()}", flush=True)

    def evaluate(self) -> dict:
        vecnorm_path = None
        vn = self.model.get_vec_normalize_env()
        if vn is not None:
            vecnorm_path = self.run_dir / "eval_vecnormalize.pkl"
            vn.save(str(vecnorm_path))
        final: list[np.ndarray] | None = [] if self.rule is not None else None
        stats, frames = run_episodes(self.model, self.cfg, self.episodes, self.seed, vecnorm_path,
                                     render_episodes=1 if self.video else 0, final_frames=final)
        steps = self.num_timesteps
        for key in ("success_rate", "return_mean", "length_mean"):
            self.logger.record(f"eval/{key}", stats[key])
        if self.detector is not None:
            self._hacking_step(steps, stats, final)
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

    def _tb_writer(self):
        from stable_baselines3.common.logger import TensorBoardOutputFormat

        return next((f.writer for f in self.logger.output_formats if isinstance(f, TensorBoardOutputFormat)), None)

    def _tensorboard_image(self, tag: str, frame: np.ndarray, steps: int) -> None:
        writer = self._tb_writer()
        if writer is not None:
            writer.add_image(tag, np.ascontiguousarray(np.asarray(frame)[..., :3]), steps, dataformats="HWC")
            writer.flush()

    def _tensorboard_gif(self, tag: str, frames: list[np.ndarray], steps: int) -> None:
        writer = self._tb_writer()
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
