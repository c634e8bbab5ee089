"""Scripted experts for ``rewardgym/Manipulation-v0`` (privileged state, no learning).

Each expert is a stateless function of the env's state returning an action in [-1, 1]^4: it
proves the task is solvable and gives reward-quality tools rollouts that reach success.
``expert_action(env)`` dispatches on the task; noise can be mixed in by the caller.
"""
from __future__ import annotations

import numpy as np

from .manipulation_tasks import CUBE, TABLE_Z, button_top

OPEN, CLOSE = -1.0, 1.0
SAFE_Z = TABLE_Z + 0.12   # travel height of the grip site above obstacles


def _move(env, target, grip: float, speed: float = 1.0) -> np.ndarray:
    delta = (np.asarray(target) - env.grip_pos) / env.action_scale
    return np.r_[np.clip(delta, -speed, speed), grip]


def _via_above(env, target, grip: float, tol: float = 0.012) -> np.ndarray:
    """Go up, across, then down to ``target`` (avoids sweeping objects on the way)."""
    pos = env.grip_pos
    if np.linalg.norm(pos[:2] - target[:2]) > tol:
        if pos[2] < max(target[2], SAFE_Z) - 0.03 and np.linalg.norm(pos[:2] - target[:2]) > 0.03:
            return _move(env, [pos[0], pos[1], max(target[2], SAFE_Z)], grip)
        return _move(env, [target[0], target[1], max(target[2], SAFE_Z)], grip)
    return _move(env, target, grip)


def reach(env):
    return _move(env, env.body_pos("goal"), OPEN)


def push(env):
    obj, goal = env.body_pos("object"), env.body_pos("goal")
    d = goal[:2] - obj[:2]
    if np.linalg.norm(d) < 0.015:  # on the pad: lift away and leave it there
        return _move(env, env.grip_pos + np.array([0.0, 0.0, 0.05]), CLOSE)
    d /= max(np.linalg.norm(d), 1e-6)
    low = TABLE_Z + 0.035
    behind = obj[:2] - d * (CUBE + 0.03)
    rel = env.grip_pos[:2] - obj[:2]
    along, lateral = rel @ d, abs(rel @ np.array([-d[1], d[0]]))
    if along < -(CUBE + 0.005) and lateral < 0.012 and env.grip_pos[2] < low + 0.02:
        return _move(env, np.r_[goal[:2] - d * (CUBE + 0.012), low], CLOSE, speed=0.3)
    return _via_above(env, np.r_[behind, low], CLOSE)


def _grasped(env) -> bool:
    return 0.004 < env.finger_closure < 0.02 and np.linalg.norm(env.grip_pos - env.body_pos("object")) < 0.03


GRASP_DZ = 0.008  # grasp this far above the cube's centre: fingertips then clear the surface below


def _pick_then(env, place_target, release: bool):
    obj = env.body_pos("object")
    grasp = obj + np.array([0.0, 0.0, GRASP_DZ])
    if release and np.linalg.norm(obj - place_target) < 0.008:  # placed: let go, then lift off
        if env.finger_closure > 0.002 or not _grasped(env) and np.linalg.norm(env.grip_vel) > 0.05:
            return _move(env, env.grip_pos, OPEN)
        return _move(env, env.grip_pos + np.array([0.0, 0.0, 0.05]), OPEN)
    if _grasped(env):
        if np.linalg.norm(obj[:2] - place_target[:2]) > 0.02 and obj[2] < place_target[2] + 0.04:
            return _move(env, [env.grip_pos[0], env.grip_pos[1], place_target[2] + 0.06], CLOSE)
        near = np.linalg.norm(obj - place_target) < 0.03
        return _move(env, place_target + (env.grip_pos - obj), CLOSE, speed=0.15 if release and near else 1.0)
    if release and np.linalg.norm(obj - place_target) < 0.015 and env.finger_closure > 0.002:
        return _move(env, env.grip_pos, OPEN)  # still opening: do not drag the cube
    if np.linalg.norm(env.grip_pos - grasp) < 0.01:
        return _move(env, grasp, CLOSE)
    return _via_above(env, grasp, OPEN, tol=0.008)


def pick_place(env):
    return _pick_then(env, env.body_pos("goal"), release=False)


def stack(env):
    return _pick_then(env, env.body_pos("goal"), release=True)


def drawer_open(env):
    handle = env.geom_pos("handle")
    pos = env.grip_pos
    engaged = abs(pos[0] - handle[0]) < 0.02 and abs(pos[2] - handle[2]) < 0.015 and abs(pos[1] - handle[1]) < 0.03
    if engaged:
        return _move(env, [handle[0], handle[1] - 0.1, handle[2]], OPEN)
    return _via_above(env, handle, OPEN, tol=0.008)


def button_press(env):
    top = button_top(env)
    return _via_above(env, top - np.array([0.0, 0.0, 0.02]), CLOSE, tol=0.01)


EXPERTS = {"reach": reach, "push": push, "pick_place": pick_place, "stack": stack,
           "drawer_open": drawer_open, "button_press": button_press}


def expert_action(env) -> np.ndarray:
    """The scripted expert's action for ``env`` (a Manipulation-v0 env or a wrapper of one)."""
    base = env.unwrapped
    return EXPERTS[base.task.name](base).astype(np.float32)
