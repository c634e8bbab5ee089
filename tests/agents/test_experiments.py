"""conf/experiment/*.yaml: whole wrapper stacks as one rewardgym-train override."""
import os

import numpy as np
import pytest
from hydra import compose, initialize_config_module


def _cfg(overrides):
    with initialize_config_module(config_module="rewardgym.conf", version_base=None):
        return compose(config_name="config", overrides=overrides)


@pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="needs Debian's chromium")
def test_browser_pixels_builds_the_stack_of_the_pixel_ppo_run():
    pytest.importorskip("playwright")
    from rewardgym.agents.env_factory import extra_wrappers, make_env, reward_factory
    from rewardgym.agents.train import choose_policy

    cfg = _cfg(["+experiment=browser_pixels"])
    env = make_env(cfg.env, reward_factory(cfg.reward), 0, None, None, extra_wrappers(cfg.wrappers))()
    try:
        obs, info = env.reset(seed=0)
        assert obs.shape == (53, 40, 3) and obs.dtype == np.uint8
        assert env.action_space.low.tolist() == [-1.0, -1.0] and env.action_space.high.tolist() == [1.0, 1.0]
        assert choose_policy(env.observation_space) == "CnnPolicy"
        # the centre of the target box, in the rescaled action space, earns the env's +1 and a point term of 1
        x1, y1, x2, y2 = info["target_boxes"][0]
        action = np.array([(x1 + x2) - 1.0, (y1 + y2) - 1.0], dtype=np.float32)
        _, reward, terminated, _, info = env.step(action)
        assert info["success"] and terminated
        assert info["env_reward"] == 1.0 and info["shaped_gaussian"] == pytest.approx(1.0, abs=1e-6)
        assert reward == pytest.approx(2.0, abs=1e-6)
    finally:
        env.close()


def test_wrappers_need_a_target():
    from rewardgym.agents.env_factory import extra_wrappers

    cfg = _cfg(["+experiment=browser_pixels"])
    assert len(extra_wrappers(cfg.wrappers)) == 2 and extra_wrappers([]) == []
    with pytest.raises(ValueError, match=r"wrappers\[0\] needs a _target_"):
        extra_wrappers([{"k": 4}])


def test_browser_pixels_sweeps_over_the_reward_group():
    # the documented multirun: reward=gaussian_env,none,constant with +experiment=browser_pixels
    from rewardgym.agents.env_factory import reward_factory

    gaussian = _cfg(["+experiment=browser_pixels"]).reward
    assert (gaussian.w_point, gaussian.w_coverage, gaussian.env_weight) == (1.0, 0.0, 1.0)
    assert reward_factory(_cfg(["+experiment=browser_pixels", "reward=none"]).reward) is None
    constant = _cfg(["+experiment=browser_pixels", "reward=constant"])
    assert set(constant.reward) == {"_target_", "_partial_", "value"}  # no Gaussian keys left over
    assert callable(reward_factory(constant.reward))
    assert _cfg(["+experiment=browser_pixels"]).eval.every > 0  # ground-truth curve for steps-to-80%
