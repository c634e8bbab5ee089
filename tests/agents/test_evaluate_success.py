"""Evaluation reports success at the episode's last step and at any step (Meta-World's protocol)."""
import gymnasium as gym
import numpy as np
from omegaconf import OmegaConf

from rewardgym.agents.evaluate import run_episodes


class SucceedsThenLoses(gym.Env):
    """Five steps; ``info["success"]`` true at step 2 only, or (``keep=True``) from step 2 on."""

    observation_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
    action_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)

    def __init__(self, keep: bool = False):
        self.keep, self.t = keep, 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.zeros(1, np.float32), {}

    def step(self, action):
        self.t += 1
        success = self.t == 2 or (self.keep and self.t >= 2)
        return np.zeros(1, np.float32), 0.0, False, self.t >= 5, {"success": success}


gym.register("test/SucceedsThenLoses-v0", entry_point=SucceedsThenLoses)


def _cfg(keep: bool):
    return OmegaConf.create({"env": {"id": "test/SucceedsThenLoses-v0", "kwargs": {"keep": keep}},
                             "eval": {"env": None}, "wrappers": None})


def test_success_at_any_step_and_at_the_last_step():
    lost, _ = run_episodes(None, _cfg(keep=False), episodes=3, seed=0)
    assert lost["success_rate"] == 0.0 and lost["success_any_rate"] == 1.0
    kept, _ = run_episodes(None, _cfg(keep=True), episodes=3, seed=0)
    assert kept["success_rate"] == 1.0 and kept["success_any_rate"] == 1.0
