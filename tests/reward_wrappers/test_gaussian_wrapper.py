"""GaussianGroundingReward on a tiny fake GUI env (and on the real browser env when present)."""
import functools
import math
import os

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

from rewardgym.agents.vec_reward import wrap_vec_env
from rewardgym.reward_wrappers.gaussian import GaussianGroundingReward


class FakeGUI(gym.Env):
    """Targets move every step, so the test can tell which step's targets were used."""

    def __init__(self, action_dim=2, k=2):
        self.action_space = spaces.Box(0.0, 1.0, (action_dim,), np.float32)
        self.observation_space = spaces.Box(0.0, 1.0, (1,), np.float32)
        self.k, self.t = k, 0

    def _boxes(self):
        x = 0.1 + 0.1 * self.t
        return np.array([[x, 0.1, x + 0.1, 0.3], [0.6, 0.6, 0.8, 0.7]][: self.k])

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.zeros(1, np.float32), {"target_boxes": self._boxes(), "success": False}

    def step(self, action):
        hit = bool(self.k) and np.all(action[:2] >= self._boxes()[0, :2]) and np.all(action[:2] <= self._boxes()[0, 2:])
        self.t += 1
        return np.zeros(1, np.float32), float(hit), bool(hit), False, {"target_boxes": self._boxes(), "success": hit}


def test_scores_against_the_targets_of_the_observation_the_action_saw():
    env = GaussianGroundingReward(FakeGUI())
    env.reset(seed=0)
    _, r, term, _, info = env.step(np.array([0.15, 0.2]))  # centre of step-0 box 0
    assert r == pytest.approx(1.0) and info["shaped_gaussian"] == pytest.approx(1.0)
    assert info["env_reward"] == 1.0 and term, "the task's own success still ends the episode"
    env.reset(seed=0)
    env.step(np.array([0.9, 0.9]))
    # step-1 targets: box 0 is [0.2, 0.1, 0.3, 0.3]; its right edge at mid height -> e^-0.5
    _, r, *_ = env.step(np.array([0.3, 0.2]))
    assert r == pytest.approx(math.exp(-0.5))


def test_max_over_targets_and_box_actions():
    env = GaussianGroundingReward(FakeGUI(action_dim=4), w_point=1.0, w_coverage=1.0)
    env.reset(seed=0)
    _, r, *_ = env.step(np.array([0.6, 0.6, 0.8, 0.7]))  # exactly the second target
    assert r == pytest.approx(2.0)
    env.reset(seed=0)
    _, r, *_ = env.step(np.array([0.8, 0.7, 0.6, 0.6]))  # the same box, corners the other way round
    assert r == pytest.approx(2.0), "the box the corners span, as the browser env clicks it"
    env.reset(seed=0)
    # a zero-width box (allowed by GUI envs) is scored as its centre point only
    _, r, *_ = env.step(np.array([0.7, 0.6, 0.7, 0.7]))
    assert r == pytest.approx(1.0)
    env.reset(seed=0)
    _, r, *_ = env.step(np.array([0.0, 0.9, 0.05, 1.0]))
    sx, sy = 0.5 * 0.2, 0.5 * 0.1
    expected_point = math.exp(-0.5 * (((0.025 - 0.7) / sx) ** 2 + ((0.95 - 0.65) / sy) ** 2))
    assert expected_point <= r < 0.01


def test_no_targets_scores_zero_and_missing_targets_is_an_error():
    env = GaussianGroundingReward(FakeGUI(k=0))
    env.reset(seed=0)
    _, r, *_ = env.step(np.array([0.5, 0.5]))
    assert r == 0.0
    with pytest.raises(ValueError, match="w_point"):
        GaussianGroundingReward(FakeGUI(), w_point=-1.0)
    with pytest.raises(ValueError, match="alpha"):
        GaussianGroundingReward(FakeGUI(), alpha=0.0)
    bare = GaussianGroundingReward(gym.make("CartPole-v1"))
    with pytest.raises(KeyError, match="target_boxes"):
        bare.reset(seed=0)


def test_per_env_reward_leaves_the_vec_env_unchanged():
    from stable_baselines3.common.vec_env import DummyVecEnv

    factory = functools.partial(GaussianGroundingReward, alpha=0.5)
    venv = DummyVecEnv([lambda: factory(FakeGUI()) for _ in range(2)])
    assert wrap_vec_env(venv, factory) is venv
    assert wrap_vec_env(venv, None) is venv


@pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="needs Debian's chromium")
def test_box_actions_on_the_real_browser_env():
    pytest.importorskip("playwright")
    env = GaussianGroundingReward(gym.make("rewardgym/Browser-v0", task="click-button", action_type="box"))
    try:
        _, info = env.reset(seed=0)
        box = np.asarray(info["target_boxes"][0], dtype=np.float32)
        _, r, term, _, info = env.step(box)
        assert r == pytest.approx(2.0, abs=1e-4) and info["success"] and term
        _, info = env.reset(seed=0)
        far = np.array([0.0, 0.0, 0.02, 0.02], dtype=np.float32)
        _, r, _, _, info = env.step(far)
        assert r < 0.1 and info["env_reward"] == 0.0
    finally:
        env.close()


@pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="needs Debian's chromium")
def test_gui_actions_score_their_click_point_and_nothing_else():
    """action_type="gui": a click is scored as its point (the 9-number vector is never read as a
    point or box); typing, keys and scrolls point at nothing and get no grounding term."""
    pytest.importorskip("playwright")
    env = GaussianGroundingReward(gym.make("rewardgym/Browser-v0", task="click-button", action_type="gui"))
    try:
        _, info = env.reset(seed=0)
        x1, y1, x2, y2 = np.asarray(info["target_boxes"][0], dtype=float)
        _, r, *_ = env.step('scroll(0, 10)')
        assert r == 0.0
        w = x2 - x1  # one box width from the centre, at mid height: sigma = alpha * w = w / 2, so e^-2
        x = x2 + 0.5 * w if x2 + 0.5 * w <= 1 else x1 - 0.5 * w
        _, r, _, _, info = env.step(f"click({x:.5f}, {(y1 + y2) / 2:.5f})")
        assert info["shaped_gaussian"] == pytest.approx(math.exp(-2.0), abs=2e-3)
        _, info = env.reset(seed=0)
        _, r, term, _, info = env.step(f"click({(x1 + x2) / 2:.4f}, {(y1 + y2) / 2:.4f})")
        assert info["shaped_gaussian"] == pytest.approx(1.0, abs=1e-4) and info["success"] and term
    finally:
        env.close()
