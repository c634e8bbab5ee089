"""Scripted experts of every task that has one, in one place: ``expert_for(env)``.

An expert is a policy ``(env, obs, info, rng) -> action`` that needs no learning: it shows a task
is solvable and gives reward-quality rollouts and demonstrations that reach success.

* ``rewardgym/Manipulation-v0``: :func:`rewardgym.envs.mujoco.experts.expert_action`
  (privileged state).
* ``rewardgym/Browser-v0``: click the centre of the first target box (or send the box itself).
* ``rewardgym/HumanoidPose-v0``: no controller exists; the expert *starts in the task's named
  pose* (``reset(options={"pose": task})``) and applies zero torque, so it begins successful and
  may sag or fall.
* ``rewardgym/MetaWorld-v0``: Meta-World's own scripted policy of the task
  (``metaworld.policies.ENV_POLICY_MAP``), which reads the observation.
* ``rewardgym/Fetch-v0``: :func:`rewardgym.envs.fetch.expert.fetch_expert` (reach, push,
  pick-and-place; privileged state).
* ``CartPole-v1`` / ``MountainCar-v0``: textbook rules (push towards the pole's lean / with the
  velocity).

Importing this module imports no MuJoCo or Playwright.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

Policy = Callable[[Any, Any, dict, np.random.Generator], Any]  # (env, obs, info, rng) -> action


def manipulation_expert(env, obs, info, rng):
    from rewardgym.envs.mujoco.experts import expert_action

    return expert_action(env)


def click_target(env, obs, info, rng):
    """GUI expert: a click (or the box itself) on the first target box the env reported."""
    boxes = np.asarray(info.get("target_boxes", np.zeros((0, 4))), dtype=np.float64).reshape(-1, 4)
    if len(boxes) == 0:
        return env.action_space.sample()
    box = boxes[0]
    if env.action_space.shape == (4,):
        return box.astype(np.float32)
    return ((box[:2] + box[2:]) / 2.0).astype(np.float32)


def metaworld_expert(env, obs, info, rng):
    """Meta-World's scripted policy of the env's task, clipped to the action box."""
    base = env.unwrapped
    policy = base.__dict__.get("_rewardgym_expert")
    if policy is None:
        from metaworld.policies import ENV_POLICY_MAP

        policy = base._rewardgym_expert = ENV_POLICY_MAP[base.metaworld_task]()
    return np.clip(policy.get_action(np.asarray(obs)), -1.0, 1.0).astype(np.float32)


def cartpole_expert(env, obs, info, rng):
    return int(obs[2] + 0.5 * obs[3] > 0)


def mountain_car_expert(env, obs, info, rng):
    return 2 if obs[1] >= 0 else 0


def hold_still(env, obs, info, rng):
    return np.zeros(env.action_space.shape, dtype=env.action_space.dtype)


def expert_for(env) -> tuple[Policy | None, dict | None]:
    """``(policy, reset options)`` of the task's scripted expert, or ``(None, None)``."""
    base = env.unwrapped
    name = type(base).__name__
    spec_id = base.spec.id if base.spec is not None else ""
    if hasattr(base, "grip_pos") and hasattr(base, "task"):
        return manipulation_expert, None
    if getattr(base, "metaworld_task", None):
        return metaworld_expert, None
    if name == "FetchEnv":
        from rewardgym.envs.fetch.expert import EXPERT_TASKS, fetch_expert

        return (fetch_expert, None) if base.task.name in EXPERT_TASKS else (None, None)
    if "Browser" in spec_id or name == "BrowserEnv":
        return click_target, None
    if hasattr(base, "set_pose") and hasattr(base, "task"):
        return hold_still, {"pose": base.task.name}
    if spec_id.startswith("CartPole"):
        return cartpole_expert, None
    if spec_id.startswith("MountainCar"):
        return mountain_car_expert, None
    return None, None
