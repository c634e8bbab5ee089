"""Argument checks shared by rewardgym's MuJoCo envs, renderer and camera helpers.

Each raises ``ValueError`` naming the bad value.
"""
from __future__ import annotations

OBS_TYPES = ("state", "pixels", "state+pixels")


def check_size(width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise ValueError(f"width and height must be positive, got {width}x{height}")


def check_env_args(task: str, tasks, obs_type: str, render_mode: str | None, width: int, height: int) -> None:
    """The argument checks rewardgym's MuJoCo envs share."""
    if task not in tasks:
        raise ValueError(f"unknown task {task!r}; choose one of {sorted(tasks)}")
    if obs_type not in OBS_TYPES:
        raise ValueError(f"obs_type must be one of {OBS_TYPES}, got {obs_type!r}")
    if render_mode not in (None, "rgb_array"):
        raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
    check_size(width, height)
