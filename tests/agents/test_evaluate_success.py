"""Evaluation reports success at the episode's last step and at any step (Meta-World's protocol)."""
import gymnasium as gym
import numpy as np
import pytest
from omegaconf import OmegaConf

from rewardgym.agents.evaluate import run_episodes


class SucceedsThenLoses(gym.Env):
    """Five steps; ``info["success"]`` true at step 2 only, or (``keep=True``) from step 2 on."""

    observation_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
    action_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)

    metadata = {"render_modes": ["rgb_array"], "render_fps": 5}

    def __init__(self, keep: bool = False, render_mode=None):
        self.keep, self.t, self.render_mode, self.resets = keep, 0, render_mode, 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        self.resets += 1
        return np.zeros(1, np.float32), {}

    def render(self):  # a frame that says which episode and step it shows
        return np.full((4, 4, 3), 10 * self.resets + self.t, np.uint8)

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


def test_every_final_frame_and_per_episode_records_match_the_totals():
    """``every_final_frame`` keeps the last frame of every episode; ``per_episode`` their own numbers,
    which add up to the returned rates."""
    frames, episodes = [], []
    stats, _ = run_episodes(None, _cfg(keep=False), episodes=4, seed=3, final_frames=frames, every_final_frame=True,
                            per_episode=episodes)
    assert [int(f[0, 0, 0]) for f in frames] == [15, 25, 35, 45], "each episode's last step (5), before the reset"
    assert len(episodes) == 4
    assert np.mean([e["success"] for e in episodes]) == stats["success_rate"]
    assert np.mean([e["success_any"] for e in episodes]) == stats["success_any_rate"]
    assert np.mean([e["return"] for e in episodes]) == pytest.approx(stats["return_mean"])
    first = []
    run_episodes(None, _cfg(keep=False), episodes=4, seed=3, final_frames=first)
    assert len(first) == 1 and np.array_equal(first[0], frames[0]), "the default keeps the first episode's only"
