"""rewardgym: Gymnasium environments whose rewards come from what a model sees.

Importing this package registers every environment with Gymnasium and nothing else:
no MuJoCo, torch or Playwright is imported until an environment or reward is built.

>>> import gymnasium as gym
>>> import rewardgym
>>> gym.register_envs(rewardgym)
>>> "rewardgym/HumanoidPose-v0" in gym.registry
True
"""
from __future__ import annotations

from gymnasium.envs.registration import register, registry

__version__ = "0.1.0"
__all__ = ["__version__", "register_envs", "ENV_IDS"]

# id -> (entry point, registration keyword arguments). Entry points are strings so that
# registering imports nothing heavy. Each family keeps to its own block.
_ENVS: dict[str, tuple[str, dict]] = {
    # --- MuJoCo humanoid pose tasks (envs/mujoco/humanoid_pose_v0.py) ---
    "rewardgym/HumanoidPose-v0": (
        "rewardgym.envs.mujoco.humanoid_pose_v0:HumanoidPoseEnv",
        {"max_episode_steps": 100},
    ),
    # --- MuJoCo manipulation tasks (envs/mujoco/manipulation_v0.py) ---
    "rewardgym/Manipulation-v0": (
        "rewardgym.envs.mujoco.manipulation_v0:ManipulationEnv",
        {"max_episode_steps": 100},
    ),
    # --- Browser GUI tasks (envs/browser/browser_v0.py) ---
    "rewardgym/Browser-v0": (
        "rewardgym.envs.browser.browser_v0:BrowserEnv",
        {"max_episode_steps": 10},
    ),
}

ENV_IDS: tuple[str, ...] = tuple(_ENVS)


def register_envs() -> None:
    """Register every rewardgym environment (idempotent; done on import)."""
    for env_id, (entry_point, kwargs) in _ENVS.items():
        if env_id not in registry:
            register(id=env_id, entry_point=entry_point, **kwargs)


register_envs()
