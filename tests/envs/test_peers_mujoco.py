"""The peers the `metaworld` and `robotics` extras install run, unedited, in rewardgym's environment
(MuJoCo 3.3): Meta-World's own Gymnasium entry point and Gymnasium-Robotics' Fetch tasks, beside
rewardgym's own MuJoCo envs in the same process."""
import gymnasium as gym
import numpy as np
import pytest

import rewardgym  # noqa: F401

mujoco = pytest.importorskip("mujoco")
pytestmark = pytest.mark.skipif(not mujoco.__version__.startswith("3.3."),
                                reason=f"the extras pin mujoco 3.3 (this is {mujoco.__version__})")


def _steps(env, n=20):
    obs, info = env.reset(seed=0)
    for _ in range(n):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
    return obs, reward, info


def test_meta_world_mt1_entry_point_runs_unedited():
    pytest.importorskip("metaworld")
    env = gym.make("Meta-World/MT1", env_name="push-v3", seed=0)
    obs, reward, info = _steps(env)
    assert obs.shape == (39,) and np.isfinite(reward) and "success" in info
    env.close()


def test_fetch_push_runs_unedited_beside_rewardgyms_own_env():
    gymnasium_robotics = pytest.importorskip("gymnasium_robotics")
    gym.register_envs(gymnasium_robotics)
    fetch = gym.make("FetchPush-v4")
    obs, reward, info = _steps(fetch)
    assert set(obs) == {"observation", "achieved_goal", "desired_goal"} and "is_success" in info
    assert reward in (-1.0, 0.0)
    own = gym.make("rewardgym/Manipulation-v0", task="push")
    _, _, own_info = _steps(own)
    assert isinstance(own_info["success"], bool)
    fetch.close()
    own.close()
