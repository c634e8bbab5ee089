"""Expert demonstrations (generated, cached, reproducible) and behaviour cloning into PPO."""
import subprocess
import sys

import numpy as np
import pytest
from hydra import compose, initialize_config_module

pytest.importorskip("mujoco")

from rewardgym.agents.demos import MAX_DEMOS, behaviour_clone, cache_dir, discounted_returns, expert_demos  # noqa: E402
from rewardgym.agents.env_factory import build_vec_env, make_env, reward_factory  # noqa: E402


def _cfg(tmp_path, *overrides):
    with initialize_config_module("rewardgym.conf", version_base=None):
        return compose("config", overrides=[f"agent.bc.cache_dir={tmp_path / 'cache'}", *overrides])


def test_demos_are_cached_and_reproducible(tmp_path):
    cfg = _cfg(tmp_path, "env=manip_reach", "reward=keypoint")
    factory = reward_factory(cfg.reward)
    first = expert_demos(cfg, factory, 3)
    files = list(cache_dir(cfg).glob("*.npz"))
    assert len(files) == 1 and "Manipulation-v0_reach__3__" in files[0].name
    assert first["obs"].shape == (150, 17) and first["actions"].shape == (150, 4) and first["success"].all()
    assert 0.0 <= first["rewards"].min() and first["rewards"].max() <= 1.0   # the keypoint reward, as trained on
    again = expert_demos(cfg, factory, 3)                                    # read back from the cache
    fresh = expert_demos(_cfg(tmp_path / "other", "env=manip_reach", "reward=keypoint"), factory, 3)  # made anew
    for key in first:
        np.testing.assert_array_equal(first[key], again[key])
        np.testing.assert_array_equal(first[key], fresh[key])
    other_reward = expert_demos(_cfg(tmp_path, "env=manip_reach", "reward=none"), None, 3)
    assert len(list(cache_dir(cfg).glob("*.npz"))) == 2, "the reward is part of the cache key"
    np.testing.assert_array_equal(first["actions"], other_reward["actions"])


def test_bad_demo_counts_and_tasks_without_an_expert(tmp_path):
    cfg = _cfg(tmp_path, "env=manip_reach")
    with pytest.raises(ValueError, match=rf"agent.demos must be in \[1, {MAX_DEMOS}\].*got 5000"):
        expert_demos(cfg, None, 5000)
    cfg = _cfg(tmp_path, "env=manip_reach", "env.id=Pendulum-v1", "~env.kwargs")
    with pytest.raises(ValueError, match="Pendulum-v1 .* has none"):
        expert_demos(cfg, None, 1)


def test_discounted_returns_restart_per_episode():
    np.testing.assert_allclose(discounted_returns(np.ones(4), np.array([0, 0, 1, 1]), 0.9), [1.9, 1.0, 1.9, 1.0])


def test_behaviour_cloning_reproduces_the_reach_expert(tmp_path):
    from stable_baselines3 import PPO

    cfg = _cfg(tmp_path, "env=manip_reach", "reward=keypoint")
    factory = reward_factory(cfg.reward)
    venv = build_vec_env(cfg, factory, None, 0)
    model = PPO("MlpPolicy", venv, seed=0, device="cpu", n_steps=64, batch_size=64)
    stats = behaviour_clone(model, expert_demos(cfg, factory, 10), epochs=100, std=0.3)
    assert stats["final_action_mse"] < 0.05
    assert np.exp(model.policy.log_std.detach().numpy()) == pytest.approx(0.3)
    env = make_env(cfg.env, factory, 0)()
    successes = []
    for seed in range(10):
        obs, info = env.reset(seed=10_000 + seed)
        done = False
        while not done:
            action, _ = model.predict(obs, deterministic=True)
            obs, _, terminated, truncated, info = env.step(action)
            done = terminated or truncated
        successes.append(info["success"])
    assert np.mean(successes) >= 0.8


def test_train_app_with_demos_and_a_bad_demo_count(tmp_path):
    cmd = [sys.executable, "-c", "from rewardgym.agents.train import main; main()"]
    common = [f"agent.bc.cache_dir={tmp_path / 'cache'}", "agent.total_timesteps=256", "agent.ppo.n_steps=64",
              "agent.ppo.batch_size=64", "eval.episodes=2", "agent.bc.epochs=5"]
    run = subprocess.run(cmd + ["reward=keypoint", "agent.demos=2", f"hydra.run.dir={tmp_path / 'run'}"] + common,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    import json

    bc = json.loads((tmp_path / "run" / "bc.json").read_text())
    assert bc["demos"] == 2 and bc["steps"] == 100 and bc["demo_success_rate"] == 1.0
    bad = subprocess.run(cmd + ["agent.demos=5000", f"hydra.run.dir={tmp_path / 'bad'}"] + common,
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "agent.demos must be in [1, 1000]" in bad.stderr and "got 5000" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
