"""Rendering, spec pickling and ``info["success"]`` over every family id (``check_env``, seeded
determinism, copies and ``make_vec`` over every id are in tests/test_conformance.py; the light
import in tests/test_architecture.py)."""
import os
import pickle

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import rewardgym

BROWSER_OK = os.path.exists(os.environ.get("REWARDGYM_CHROMIUM", "/usr/bin/chromium"))


def _needs(env_id):
    if "Browser" in env_id and not BROWSER_OK:
        pytest.skip("Debian's chromium is not installed (scripts/setup.sh installs it)")


@pytest.mark.parametrize("env_id", rewardgym.ENV_IDS)
def test_check_env_rendering(env_id):
    """Every env declares rgb_array (the model rewards need frames); check_env's render checks pass."""
    _needs(env_id)
    env = gym.make(env_id, render_mode="rgb_array")
    try:
        assert "rgb_array" in env.metadata["render_modes"]
        check_env(env.unwrapped)
        env.reset(seed=0)
        frame = env.render()
        assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3 and frame.std() > 0
    finally:
        env.close()


@pytest.mark.parametrize("env_id", rewardgym.ENV_IDS)
def test_spec_pickles_and_success_in_info(env_id):
    _needs(env_id)
    spec = gym.spec(env_id)
    assert pickle.loads(pickle.dumps(spec)) == spec
    env = gym.make(env_id)
    try:
        _, info = env.reset(seed=0)
        assert isinstance(info["success"], bool)
        _, _, _, _, info = env.step(env.action_space.sample())
        assert isinstance(info["success"], bool)
    finally:
        env.close()
