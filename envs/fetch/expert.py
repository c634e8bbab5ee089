"""Scripted experts of the Fetch tasks (reach, push, pick-and-place), from privileged state.

Gymnasium-Robotics ships no scripted policies; these are written here from the model's sites:
the hand (``robot0:grip``), the block (``object0``) and the goal (``env.fetch.goal``). Fetch's
action moves the hand's mocap target by up to 5 cm per step (``[dx, dy, dz]``, each in [-1, 1]),
and its fourth entry opens (+) or closes (-) the fingers. Slide has none: its puck must be struck
to glide to a goal beyond the arm's reach.
"""
from __future__ import annotations

import numpy as np

__all__ = ["fetch_expert", "EXPERT_TASKS"]

EXPERT_TASKS = ("reach", "push", "pick_and_place")
GAIN = 10.0          # action per metre of hand error (10 cm away: a full 5 cm step)
BEHIND = 0.06        # metres behind the block (from the goal) where a push starts
BLOCK_HALF = 0.025   # half the block's side


def _site(env, name: str) -> np.ndarray:
    import mujoco

    base = env.unwrapped
    return base.data.site_xpos[mujoco.mj_name2id(base.model, mujoco.mjtObj.mjOBJ_SITE, name)].copy()


def _move(grip: np.ndarray, target: np.ndarray, fingers: float, top: float = 1.0) -> np.ndarray:
    return np.append(np.clip(GAIN * (target - grip), -top, top), fingers).astype(np.float32)


def _push(grip, block, goal) -> np.ndarray:
    to_goal = goal[:2] - block[:2]
    dist = float(np.linalg.norm(to_goal))
    if dist < 0.02:
        return np.array([0.0, 0.0, 0.0, -1.0], dtype=np.float32)   # there (Fetch's threshold is 5 cm): stay
    u = to_goal / dist
    rel = grip[:2] - block[:2]
    along, across = float(rel @ u), float(abs(rel[0] * u[1] - rel[1] * u[0]))
    low = block[2]
    if along < -BLOCK_HALF and across < 0.015 and grip[2] < low + 0.02:
        # behind the block, at its height: push it on until its centre is at the goal
        target = np.append(goal[:2] - u * (BLOCK_HALF + 0.005), low)
        return _move(grip, target, -1.0, top=0.4)               # slowly: a fast block slides on past the goal
    pre = block[:2] - u * BEHIND
    if np.linalg.norm(grip[:2] - pre) > 0.02:
        if grip[2] < low + 0.06:
            return _move(grip, np.append(grip[:2], low + 0.08), -1.0)   # up first, clear of the block
        return _move(grip, np.append(pre, low + 0.08), -1.0)   # over the start point, above the block
    return _move(grip, np.append(pre, low), -1.0)               # then down beside the table


def _pick_and_place(base, grip, block, goal) -> np.ndarray:
    import mujoco

    width = sum(float(base.data.qpos[base.model.jnt_qposadr[mujoco.mj_name2id(base.model, mujoco.mjtObj.mjOBJ_JOINT, j)]])
                for j in ("robot0:r_gripper_finger_joint", "robot0:l_gripper_finger_joint"))
    near = np.linalg.norm(grip - block)
    if near < 0.02 and width < 0.06:
        return _move(grip, goal, -1.0)                          # held: carry it to the goal
    if near < 0.01:
        return _move(grip, block, -1.0)                         # around it: close
    if np.linalg.norm(grip[:2] - block[:2]) > 0.01:
        return _move(grip, block + np.array([0.0, 0.0, 0.06]), 1.0)   # above it, open
    return _move(grip, block, 1.0)                              # down, open


def fetch_expert(env, obs, info, rng):
    """The scripted expert of a Fetch task (reach, push or pick-and-place)."""
    base = env.unwrapped
    grip, goal = _site(env, "robot0:grip"), np.asarray(base.fetch.goal, dtype=np.float64)
    name = base.task.name
    if name == "reach":
        return _move(grip, goal, 0.0)
    block = _site(env, "object0")
    if name == "push":
        return _push(grip, block, goal)
    if name == "pick_and_place":
        return _pick_and_place(base, grip, block, goal)
    raise ValueError(f"no scripted expert for the Fetch task {name!r}; experts: {EXPERT_TASKS}")
