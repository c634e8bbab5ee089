"""conf/reward/*.yaml compose with the env configs and instantiate to env -> env factories."""
import functools

import pytest
from hydra import compose, initialize_config_module
from hydra.utils import instantiate

from rewardgym.reward_wrappers.base import is_batched
from rewardgym.reward_wrappers.clip import CLIPReward
from rewardgym.reward_wrappers.gaussian import GaussianGroundingReward
from rewardgym.reward_wrappers.keypoint import KeypointReward


@pytest.mark.parametrize("env,reward,cls,batched", [
    ("cartpole", "clip", CLIPReward, True),
    ("humanoid_kneel", "clip", CLIPReward, True),
    ("manip_push", "keypoint", KeypointReward, False),
    ("browser_click_button", "gaussian", GaussianGroundingReward, False),
])
def test_reward_config_instantiates(env, reward, cls, batched):
    with initialize_config_module(config_module="rewardgym.conf", version_base=None):
        cfg = compose(config_name="config", overrides=[f"env={env}", f"reward={reward}"])
    factory = instantiate(cfg.reward)
    assert isinstance(factory, functools.partial) and factory.func is cls
    assert is_batched(factory) is batched
    if reward == "clip":
        assert factory.keywords["goal_prompts"] == list(cfg.env.prompts.goal)
        assert factory.keywords["baseline_prompts"] == list(cfg.env.prompts.baseline)
    if reward == "keypoint":
        assert factory.keywords["waypoints"] == ["goal"] and factory.keywords["grasp"] == "object"


def test_none_is_ground_truth():
    with initialize_config_module(config_module="rewardgym.conf", version_base=None):
        cfg = compose(config_name="config", overrides=["reward=none"])
    assert cfg.reward.get("_target_") is None  # the training app builds no wrapper for it
