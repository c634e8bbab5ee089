"""Generic API checks over every registered rewardgym environment id."""
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
def test_check_env(env_id):
    _needs(env_id)
    env = gym.make(env_id)
    try:
        check_env(env.unwrapped, skip_render_check=True)
    finally:
        env.close()


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
def test_seeded_determinism(env_id):
    _needs(env_id)

    def rollout():
        env = gym.make(env_id)
        try:
            obs, _ = env.reset(seed=123)
            env.action_space.seed(123)
            out = [obs]
            for _ in range(5):
                obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
                out.append((obs, reward, info["success"]))
                if terminated or truncated:
                    break
            return out
        finally:
            env.close()

    a, b = rollout(), rollout()
    assert len(a) == len(b) and _same(a, b)


def _same(x, y) -> bool:
    if isinstance(x, dict):
        return x.keys() == y.keys() and all(_same(x[k], y[k]) for k in x)
    if isinstance(x, (list, tuple)):
        return len(x) == len(y) and all(_same(u, v) for u, v in zip(x, y))
    if isinstance(x, np.ndarray):
        return np.array_equal(x, y)
    return x == y


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


def test_import_is_light():
    import subprocess
    import sys

    code = ("import sys, rewardgym, gymnasium as gym; gym.register_envs(rewardgym); "
            "print(','.join(m for m in ('torch', 'mujoco', 'playwright', 'open_clip') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import rewardgym pulled in {out.stdout.strip()}"
