"""Browser-v0 against Gymnasium's own env checks: pickling and deepcopy, sampled box actions,
seeded determinism on a cold page, and reset after close (stable-baselines3's check_env)."""
import copy
import os
import pickle
from importlib import resources

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env, data_equivalence

pytest.importorskip("playwright")
if not os.path.exists(os.environ.get("REWARDGYM_CHROMIUM", "/usr/bin/chromium")):
    pytest.skip("Debian's chromium is not installed (scripts/setup.sh installs it)", allow_module_level=True)

import rewardgym  # noqa: E402,F401

EXAMPLE = str(resources.files("rewardgym.assets") / "browser" / "examples" / "click-star")


@pytest.mark.parametrize("clone", ["pickle", "deepcopy"])
def test_a_copied_env_is_the_same_task_with_a_fresh_page(clone):
    env = gym.make("rewardgym/Browser-v0", task="miniwob/click-tab", action_type="box", obs_type="elements")
    other = None
    try:
        env.reset(seed=3)
        other = pickle.loads(pickle.dumps(env)) if clone == "pickle" else copy.deepcopy(env)
        a, b = env.unwrapped, other.unwrapped
        assert b is not a and b.session is not a.session and b.session.context is None  # a fresh page, not shared
        assert (b.task, b.action_type, b.obs_type, b.viewport) == (a.task, a.action_type, a.obs_type, a.viewport)
        assert other.spec == env.spec and b.spec == a.spec is not None
        assert data_equivalence(env.reset(), other.reset())  # the RNG is carried: the same next episode
        assert data_equivalence(env.reset(seed=5), other.reset(seed=5))
        action = np.array([0.9, 0.9, 0.1, 0.3], np.float32)
        assert data_equivalence(env.step(action), other.step(action))
    finally:
        env.close()
        if other is not None:
            other.close()


def test_a_task_folder_env_pickles():
    env = gym.make("rewardgym/Browser-v0", task_dir=EXAMPLE)
    other = pickle.loads(pickle.dumps(env))
    try:
        assert other.unwrapped.task.name == "click-star" and other.unwrapped.frame_rate_limit is True
        assert data_equivalence(env.reset(seed=1), other.reset(seed=1))
    finally:
        env.close()
        other.close()


def test_every_sampled_box_action_is_valid_and_clicks_the_centre():
    env = gym.make("rewardgym/Browser-v0", task="click-shape", action_type="box")
    try:
        env.action_space.seed(0)
        env.reset(seed=0)
        reversed_seen = 0
        for _ in range(16):
            action = env.action_space.sample()
            reversed_seen += bool(action[2] < action[0] or action[3] < action[1])
            _, _, terminated, truncated, info = env.step(action)
            assert info["click"]["x"] == pytest.approx((action[0] + action[2]) / 2)
            assert info["click"]["y"] == pytest.approx((action[1] + action[3]) / 2)
            if terminated or truncated:
                env.reset()
        assert reversed_seen >= 4  # the draws that used to be rejected
        check_env(env.unwrapped, skip_render_check=True)
    finally:
        env.close()


@pytest.mark.parametrize("task", ["miniwob/click-dialog-2", "miniwob/click-tab", "miniwob/click-test-2"])
def test_seeded_reset_is_reproducible_from_a_cold_page(task):
    """Two envs (two fresh pages) and a repeated seed in one env give the same pixels."""
    a, b = gym.make("rewardgym/Browser-v0", task=task), gym.make("rewardgym/Browser-v0", task=task)
    try:
        cold = a.reset(seed=0)  # the first observation of a fresh page
        assert data_equivalence(cold, b.reset(seed=0)), task
        for seed in (1, 2):
            assert data_equivalence(a.reset(seed=seed), b.reset(seed=seed)), (task, seed)
        assert data_equivalence(cold, a.reset(seed=0)), task  # the same seed again, after other episodes
    finally:
        a.close()
        b.close()


def test_reset_after_close_relaunches_and_sb3_check_env_passes():
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    env = gym.make("rewardgym/Browser-v0", task="click-red", obs_type="pixels")
    try:
        env.reset(seed=0)
        env.close()
        assert env.unwrapped.session is None
        with pytest.raises(RuntimeError, match="closed; call reset"):
            env.step(np.array([0.5, 0.5], np.float32))
        _, info = env.reset(seed=0)  # relaunches
        box = info["target_boxes"][0]
        _, reward, _, _, info = env.step(np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2], np.float32))
        assert info["success"] and reward == 1.0
        sb3_check_env(env.unwrapped, warn=False)  # resets after its own close()
    finally:
        env.close()


def test_chromium_background_requests_do_not_change_an_envs_count():
    """Pages with form fields make Chromium query its autofill service through the context's proxy
    at times no page controls: refused, but not counted in the env's ``blocked_requests`` (else
    the same seed and actions would give different infos)."""
    env = gym.make("rewardgym/Browser-v0", task="miniwob/focus-text")
    try:
        check_env(env.unwrapped, skip_render_check=True)  # step determinism compares the infos
        assert env.unwrapped.session.blocked_count == 0
    finally:
        env.close()
