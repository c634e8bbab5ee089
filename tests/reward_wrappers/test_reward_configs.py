"""conf/reward/*.yaml compose with the env configs and instantiate to env -> env factories."""
import functools

import pytest
from hydra import compose, initialize_config_module
from hydra.utils import instantiate

from rewardgym.reward_wrappers.batched import BatchedReward, as_reward
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
    factory = as_reward(instantiate(cfg.reward))
    assert isinstance(factory, BatchedReward) is batched
    if batched:
        assert isinstance(factory, cls)
        # prompts: the env config's override (CartPole has no prompts of its own), else None = the env's
        prompts = cfg.env.get("prompts")
        assert factory.scorer_kwargs["goal_prompts"] == (list(prompts.goal) if prompts else None)
        assert factory.scorer_kwargs["baseline_prompts"] == (list(prompts.baseline) if prompts else None)
        assert set(factory.wrapper_kwargs) == {"reward_every", "episode_end_only", "frame_size", "frame_antialias", "frame_slices"}
        return
    assert isinstance(factory, functools.partial) and factory.func is cls
    if reward == "keypoint":  # the plan is the env's own: null in the config, read by the wrapper
        assert all(factory.keywords[k] is None for k in ("waypoints", "grasp", "tracked", "camera"))
        import gymnasium as gym

        spec = factory(gym.make(cfg.env.id, **cfg.env.kwargs)).spec_kp
        assert (spec.grasp, spec.waypoints, spec.tracked) == ("object", ["goal"], "gripper")


def test_an_env_config_may_override_the_keypoint_plan():
    with initialize_config_module(config_module="rewardgym.conf", version_base=None):
        cfg = compose(config_name="config", overrides=["env=manip_push", "reward=keypoint",
                                                       "+env.keypoint.waypoints=[lift,goal]", "+env.keypoint.grasp=false"])
    factory = instantiate(cfg.reward)
    assert factory.keywords["waypoints"] == ["lift", "goal"] and factory.keywords["grasp"] is False
    assert factory.keywords["tracked"] is None


def test_none_is_ground_truth():
    with initialize_config_module(config_module="rewardgym.conf", version_base=None):
        cfg = compose(config_name="config", overrides=["reward=none"])
    assert cfg.reward.get("_target_") is None  # the training app builds no wrapper for it
