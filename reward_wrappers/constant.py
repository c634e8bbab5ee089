"""A reward that carries no information about the task: the control arm of reward comparisons.

``ConstantReward`` returns the same number at every step and keeps the env's own reward in
``info["env_reward"]``, so a run with it shows what the training setup achieves with no task
signal at all (e.g. PPO's ground-truth success with ``reward=constant`` against
``reward=clip``). Importable without torch, MuJoCo or Playwright.
"""
from __future__ import annotations

import math

from .base import RewardWrapper


class ConstantReward(RewardWrapper):
    """Every step's reward is ``value``.

    Args:
        env: any Gymnasium env.
        value: the reward, a finite number.
    """

    def __init__(self, env, value: float = 0.0):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"value must be a finite number, got {value!r}")
        super().__init__(env, value=value)
        self.value = float(value)

    def reward(self, obs, env_reward, terminated, truncated, info):
        return self.value, {"constant": self.value}
