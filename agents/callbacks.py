"""stable-baselines3 callbacks of a rewardgym run: info logging and resumable checkpoints."""
from __future__ import annotations

import json
import os
import re
from collections import defaultdict, deque
from pathlib import Path

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback

from rewardgym.reward_wrappers.base import ENV_REWARD_KEY, SHAPED_PREFIX, SHAPED_REWARD_KEY


class InfoLoggerCallback(BaseCallback):
    """Logs what the ground-truth ``ep_rew_mean`` does not show, the env's numbers apart from the
    reward wrapper's:

    * ``rollout/success_rate``: fraction of the last ``window`` finished episodes whose final
      ``info["success"]`` was true;
    * ``reward/shaped_mean``: mean of the reward PPO trained on per step;
    * ``reward/env_mean``: the env's own (ground-truth) reward, ``info["env_reward"]``;
    * ``env/<term>``: the env's ground-truth terms, ``info["reward_<term>"]``;
    * ``shaped/<term>``: the reward wrapper's terms, ``info["shaped_<term>"]``;
    all averaged over the rollout.
    """

    def __init__(self, window: int = 100):
        super().__init__()
        self.successes: deque[float] = deque(maxlen=window)
        self._sums: dict[str, float] = defaultdict(float)
        self._counts: dict[str, int] = defaultdict(int)
        self._tags: dict[str, str] = {}  # info key -> its log tag ("" for keys not logged), decided once

    @staticmethod
    def _tag(key: str) -> str:
        if key == ENV_REWARD_KEY:
            return "reward/env_mean"
        if key.startswith(SHAPED_PREFIX) and key != SHAPED_REWARD_KEY:
            return f"shaped/{key[len(SHAPED_PREFIX):]}"
        if key.startswith("reward_"):
            return f"env/{key[len('reward_'):]}"
        return ""

    def _on_step(self) -> bool:
        # once per vector step of every run: plain Python on small numbers (np.mean, np.isscalar and
        # a per-key prefix test cost about 3% of a manip_reach PPO run's time; measured)
        infos = self.locals["infos"]
        dones = self.locals["dones"]
        rewards = self.locals["rewards"].tolist()
        self._sums["reward/shaped_mean"] += sum(rewards)
        self._counts["reward/shaped_mean"] += len(rewards)
        tags, sums, counts = self._tags, self._sums, self._counts
        for info, done in zip(infos, dones):
            for key, value in info.items():
                tag = tags.get(key)
                if tag is None:
                    tag = tags[key] = self._tag(key)
                if tag and (isinstance(value, _SCALARS) or tag == "reward/env_mean"):
                    sums[tag] += float(value)
                    counts[tag] += 1
            if done and "success" in info:
                self.successes.append(float(bool(info["success"])))
        return True

    def _on_rollout_end(self) -> None:
        for key, total in self._sums.items():
            self.logger.record(key, total / max(self._counts[key], 1))
        self._sums.clear()
        self._counts.clear()
        if self.successes:
            self.logger.record("rollout/success_rate", float(np.mean(self.successes)))


_SCALARS = (int, float, np.number, np.bool_)  # what np.isscalar accepts, less strings and bytes
CKPT_RE = re.compile(r"ckpt_(\d+)_steps\.zip$")


class ResumableCheckpoint(BaseCallback):
    """Saves model, VecNormalize statistics, an off-policy agent's replay buffer and ``state.json``
    every ``save_freq`` env steps.

    A killed run loses at most one interval: :func:`latest_checkpoint` finds the newest
    complete checkpoint (``state.json`` is written last, so a half-written one is ignored).

    Args:
        ckpt_dir: where the checkpoints go.
        save_freq: env steps between checkpoints.
        keep: model checkpoints kept (the newest); only the newest replay buffer is kept.
        replay_buffer: also save the replay buffer of an off-policy agent (SAC), so a resumed run
            continues with it (:mod:`rewardgym.agents.replay_checkpoint`: what it costs on disk).
        replay_dir: where the replay buffers go (None: ``ckpt_dir``). When one cannot be written
            (a read-only folder, a full disk), one line says so and the checkpoint is kept without it.
    """

    def __init__(self, ckpt_dir: Path, save_freq: int, keep: int = 3, replay_buffer: bool = True,
                 replay_dir: Path | None = None):
        super().__init__()
        self.ckpt_dir = Path(ckpt_dir)
        self.save_freq = int(save_freq)
        self.keep = keep
        self.replay_buffer = bool(replay_buffer)
        self.replay_dir = Path(replay_dir) if replay_dir is not None else self.ckpt_dir
        self.replay_failures = 0
        self._replays: list[Path] = []  # buffers this run saved (or resumed from), oldest first
        self._last = 0
        self._off_policy = False

    def _init_callback(self) -> None:
        self.ckpt_dir.mkdir(parents=True, exist_ok=True)
        self._last = self.num_timesteps
        self._off_policy = getattr(self.model, "replay_buffer", None) is not None
        resumed = latest_replay_buffer(self.ckpt_dir)
        if resumed is not None:
            self._replays.append(resumed)

    def _on_step(self) -> bool:
        # An off-policy agent stores a step's transition after the callbacks have seen the step: its
        # checkpoints are taken at the end of a rollout instead, when the buffer holds every step counted.
        if not self._off_policy and self.num_timesteps - self._last >= self.save_freq:
            self.save()
        return True

    def _on_rollout_end(self) -> None:
        if self._off_policy and self.model.num_timesteps - self._last >= self.save_freq:
            self.save()

    def save(self) -> Path:
        steps = int(self.model.num_timesteps)  # the model's count (also when saved outside learn())
        path = self.ckpt_dir / f"ckpt_{steps}_steps.zip"
        self.model.save(path)
        vecnorm = self.model.get_vec_normalize_env()
        if vecnorm is not None:
            vecnorm.save(str(self.ckpt_dir / f"vecnormalize_{steps}_steps.pkl"))
        replay = self._save_replay_buffer(steps)
        write_state(self.ckpt_dir, steps, path.name, replay_buffer=replay)
        self._last = steps
        for old in sorted(self.ckpt_dir.glob("ckpt_*_steps.zip"), key=_steps_of)[: -self.keep]:
            old.unlink(missing_ok=True)
            (self.ckpt_dir / f"vecnormalize_{_steps_of(old)}_steps.pkl").unlink(missing_ok=True)
        if replay is not None:  # only the newest buffer is kept (each is up to the whole buffer's size)
            for old in self._replays[:-1]:
                old.unlink(missing_ok=True)
            self._replays = self._replays[-1:]
        return path

    def _save_replay_buffer(self, steps: int) -> str | None:
        """The replay buffer's path as ``state.json`` names it (relative to ``ckpt_dir`` when inside
        it), or None (no buffer, turned off, or it could not be written)."""
        if not self.replay_buffer or getattr(self.model, "replay_buffer", None) is None:
            return None
        from .replay_checkpoint import save_replay_buffer

        path = self.replay_dir / f"replay_buffer_{steps}_steps.pkl"
        try:
            save_replay_buffer(self.model, path)
        except OSError as err:
            self.replay_failures += 1
            if self.replay_failures == 1:
                print(f"[rewardgym] replay buffer not saved: cannot write {path}: {err.strerror or err}; checkpoints "
                      "go on without it (a resume would start with an empty replay buffer); later failures are not "
                      "repeated", flush=True)
            return None
        if not self._replays or self._replays[-1] != path:
            self._replays.append(path)
        return path.name if path.parent.resolve() == self.ckpt_dir.resolve() else str(path.resolve())


def write_state(ckpt_dir: Path, steps: int, name: str, replay_buffer: str | None = None) -> None:
    """Names checkpoint ``name`` (a file or folder in ``ckpt_dir``) the newest, at ``steps`` env steps,
    with its replay buffer (a file name in ``ckpt_dir`` or an absolute path) when it has one.

    Written last and atomically: a reader (or a resume after SIGKILL) sees the old state or the
    new, never half, and never a half-written checkpoint."""
    tmp = Path(ckpt_dir) / "state.json.tmp"
    state = {"num_timesteps": int(steps), "model": name}
    if replay_buffer is not None:
        state["replay_buffer"] = replay_buffer
    tmp.write_text(json.dumps(state))
    os.replace(tmp, Path(ckpt_dir) / "state.json")


def read_state(ckpt_dir: Path) -> dict | None:
    """``{"num_timesteps", "model"}`` of the newest complete checkpoint, or None."""
    state = Path(ckpt_dir) / "state.json"
    if not state.exists():
        return None
    found = json.loads(state.read_text())
    return found if (Path(ckpt_dir) / found["model"]).exists() else None


def _steps_of(path: Path) -> int:
    m = CKPT_RE.search(path.name)
    return int(m.group(1)) if m else -1


def latest_replay_buffer(ckpt_dir: Path) -> Path | None:
    """The replay buffer saved with the newest checkpoint, or None (none saved, or it is gone)."""
    state = read_state(ckpt_dir)
    if state is None or not state.get("replay_buffer"):
        return None
    path = Path(ckpt_dir) / state["replay_buffer"]  # an absolute path stays as it is
    return path if path.exists() else None


def latest_checkpoint(ckpt_dir: Path) -> tuple[Path, Path | None] | None:
    """``(model.zip, vecnormalize.pkl or None)`` of the checkpoint named in ``state.json``."""
    state = read_state(ckpt_dir)
    if state is None:
        return None
    model = Path(ckpt_dir) / state["model"]
    vecnorm = Path(ckpt_dir) / f"vecnormalize_{_steps_of(model)}_steps.pkl"
    return model, (vecnorm if vecnorm.exists() else None)
