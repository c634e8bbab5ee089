import gymnasium as gym
import numpy as np
import pytest

from rewardgym.reward_wrappers.constant import ConstantReward


def test_constant_reward_keeps_the_env_reward_in_info():
    env = ConstantReward(gym.make("CartPole-v1"), value=0.25)
    env.reset(seed=0)
    for _ in range(5):
        _, r, terminated, truncated, info = env.step(env.action_space.sample())
        assert r == 0.25 and info["env_reward"] == 1.0 and info["shaped_constant"] == 0.25
    assert env._saved_kwargs == {"value": 0.25}  # RecordConstructorArgs


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "1", None, True])
def test_constant_reward_rejects_non_numbers(bad):
    with pytest.raises(ValueError, match="value must be a finite number"):
        ConstantReward(gym.make("CartPole-v1"), value=bad)
