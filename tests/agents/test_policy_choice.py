"""The policy class follows the observation space; pixel envs train through the app's stack."""
import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces
from omegaconf import OmegaConf

from rewardgym.agents.env_factory import build_vec_env
from rewardgym.agents.train import choose_policy


@pytest.mark.parametrize("space, policy", [
    (spaces.Box(-1, 1, (17,)), "MlpPolicy"),
    (spaces.Box(0, 255, (64, 64, 3), np.uint8), "CnnPolicy"),
    (spaces.Dict({"state": spaces.Box(-1, 1, (3,)), "pixels": spaces.Box(0, 255, (64, 64, 3), np.uint8)}),
     "MultiInputPolicy"),
    (spaces.Discrete(4), "MlpPolicy"),
])
def test_choose_policy(space, policy):
    assert choose_policy(space) == policy
    assert choose_policy(space, "MlpPolicy") == "MlpPolicy", "an explicit agent.policy wins"


@pytest.mark.parametrize("obs_type, policy", [("pixels", "CnnPolicy"), ("state+pixels", "MultiInputPolicy")])
def test_pixel_manipulation_trains_a_rollout(obs_type, policy):
    """PPO runs one rollout + update on the manipulation env's pixel and dict observations."""
    from stable_baselines3 import PPO

    cfg = OmegaConf.create({
        "env": {"id": "rewardgym/Manipulation-v0", "kwargs": {"task": "reach", "obs_type": obs_type,
                                                              "width": 48, "height": 48}},
        "agent": {"n_envs": 2, "vec_env": "dummy"},
    })
    venv = build_vec_env(cfg, None, None, seed=0)
    try:
        chosen = choose_policy(venv.observation_space)
        assert chosen == policy
        model = PPO(chosen, venv, n_steps=16, batch_size=16, n_epochs=1, seed=0, device="cpu",
                    policy_kwargs={"normalize_images": True})
        model.learn(32)
        assert model.num_timesteps == 32
    finally:
        venv.close()
