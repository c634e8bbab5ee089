"""An off-policy agent's replay buffer saved with its checkpoints, so a resumed SAC run keeps its past.

stable-baselines3 leaves the replay buffer out of ``model.save()`` (RL Baselines3 Zoo saves it
beside the model with ``save_replay_buffer``); without it a SAC run resumed after a kill starts
from an empty buffer and its first updates sample the same one or two transitions. Here the
buffer is pickled next to each checkpoint (``replay_buffer_<steps>_steps.pkl``) and only the
newest one is kept.

Until the buffer is full, only its filled rows are written (SB3 allocates all ``buffer_size``
rows up front, and pickling them all would write the whole buffer from the first checkpoint);
:func:`load_replay_buffer` allocates the rest again. Cost on disk: about ``steps x n_envs``
transitions (``buffer_size`` once full), each ``2 x`` the observation's bytes (once with
``optimize_memory_usage``) plus the action's and 12 bytes: a ``humanoid_*`` transition (348
float64 numbers, 17 float32 actions) is 5.6 kB, so SAC's default 300,000-transition buffer is
1.7 GB once full; a ``manip_reach`` one is 0.3 kB.

Writing goes to a temporary file that is renamed when complete: a kill or a full disk during the
write leaves the previous buffer and checkpoint as they were.
"""
from __future__ import annotations

import copy
import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np

TRIMMED = "_rewardgym_trimmed_rows"  # attribute of a saved buffer: {array name: full row count}


def _trim(buffer: Any) -> Any:
    """A shallow copy of ``buffer`` whose preallocated arrays keep only their filled rows."""
    if getattr(buffer, "full", True):
        return buffer
    size = int(buffer.buffer_size)
    rows = min(int(buffer.pos) + 1, size)  # + 1: optimize_memory_usage keeps the next observation there
    out = copy.copy(buffer)
    trimmed: dict[str, int] = {}
    for name, value in vars(buffer).items():
        if isinstance(value, np.ndarray) and value.ndim and value.shape[0] == size:
            setattr(out, name, value[:rows])
            trimmed[name] = size
        elif isinstance(value, dict) and value and all(isinstance(v, np.ndarray) and v.ndim and v.shape[0] == size
                                                       for v in value.values()):
            setattr(out, name, {k: v[:rows] for k, v in value.items()})  # DictReplayBuffer
            trimmed[name] = size
    setattr(out, TRIMMED, trimmed)
    return out


def _untrim(buffer: Any) -> Any:
    """Allocates the rows :func:`_trim` left out (zeros, as SB3 does) and copies the saved ones in."""
    trimmed = buffer.__dict__.pop(TRIMMED, None)
    if not trimmed:
        return buffer

    def grown(arr: np.ndarray, size: int) -> np.ndarray:
        full = np.zeros((size, *arr.shape[1:]), dtype=arr.dtype)
        full[: len(arr)] = arr
        return full

    for name, size in trimmed.items():
        value = getattr(buffer, name)
        setattr(buffer, name, {k: grown(v, size) for k, v in value.items()} if isinstance(value, dict)
                else grown(value, size))
    return buffer


def _dump(obj: Any, f) -> None:
    pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)


def save_replay_buffer(model: Any, path: Path) -> int:
    """Writes ``model.replay_buffer`` to ``path`` (its folder created), atomically; returns the bytes
    written. Raises ``OSError`` when it cannot be written (nothing is left at ``path`` then)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as f:
            _dump(_trim(model.replay_buffer), f)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path.stat().st_size


def load_replay_buffer(model: Any, path: Path) -> int:
    """Loads a buffer written by :func:`save_replay_buffer` into ``model``; returns its transitions."""
    from stable_baselines3.common.buffers import ReplayBuffer

    with open(path, "rb") as f:
        buffer = _untrim(pickle.load(f))
    if not isinstance(buffer, ReplayBuffer):
        raise TypeError(f"{path} does not hold a stable-baselines3 ReplayBuffer (got {type(buffer).__name__})")
    buffer.device = model.device
    model.replay_buffer = buffer
    return transitions(buffer)


def transitions(buffer: Any) -> int:
    """Transitions stored in an SB3 replay buffer (all envs)."""
    return int((buffer.buffer_size if buffer.full else buffer.pos) * buffer.n_envs)


def resume_replay_buffer(model: Any, path: Path | None) -> int:
    """A resumed off-policy run: loads the replay buffer saved with the newest checkpoint (``path``,
    from :func:`rewardgym.agents.callbacks.latest_replay_buffer`) into ``model`` and says so in one
    line; returns its transitions (0: none saved)."""
    if path is None:
        print("[rewardgym] no replay buffer was saved with that checkpoint: SAC continues from an empty one "
              "(agent.replay_buffer.checkpoint=true saves it)", flush=True)
        return 0
    n = load_replay_buffer(model, path)
    print(f"[rewardgym] replay buffer restored: {n} transitions from {path}", flush=True)
    return n
