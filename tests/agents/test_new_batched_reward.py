"""Adding a batched model reward is one module plus one YAML: a tiny one, made here, trains a
policy through rewardgym-train's SB3 PPO and through a Gymnasium vector env."""
import json
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

REWARD_MODULE = '''
"""A tiny batched "model" reward for CartPole: the scorer sees every env's pole angle at once."""
import numpy as np

from rewardgym.reward_wrappers.batched import BatchedReward, ModelInputWrapper


class PoleAngle(ModelInputWrapper):
    """Per-env half: the pole angle of every ``every``-th step."""

    def __init__(self, env, every: int = 1):
        super().__init__(env, every=every)
        self.every, self.t = every, 0

    def reset(self, **kwargs):
        self.t = 0
        return self.env.reset(**kwargs)

    def model_input(self, obs, info, done):
        self.t += 1
        return float(obs[2]) if (self.t - 1) % self.every == 0 else None


class UprightScorer:
    """The "model": 1 for an upright pole, 0 at the fail angle; counts its batches."""

    def __init__(self, fail_angle: float = 0.2095):
        self.fail_angle, self.batches = fail_angle, []

    def __call__(self, angles):
        self.batches.append(len(angles))
        r = 1.0 - np.abs(np.asarray(angles)) / self.fail_angle
        return r, {"upright": r}


class UprightReward(BatchedReward):
    wrapper = PoleAngle
    scorer = UprightScorer
'''

REWARD_YAML = """_target_: tiny_reward.UprightReward
every: 1
fail_angle: 0.2095
"""


@pytest.fixture
def new_reward(tmp_path, monkeypatch):
    """The two files a user writes: the module and conf/reward/upright.yaml (in their own config dir)."""
    (tmp_path / "tiny_reward.py").write_text(REWARD_MODULE)
    (tmp_path / "conf" / "reward").mkdir(parents=True)
    (tmp_path / "conf" / "reward" / "upright.yaml").write_text(REWARD_YAML)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def _compose(conf_dir, overrides):
    from hydra import compose, initialize_config_module

    with initialize_config_module(config_module="rewardgym.conf", version_base=None):
        return compose(config_name="config", overrides=[f"hydra.searchpath=[file://{conf_dir}]"] + overrides,
                       return_hydra_config=False)


def test_new_reward_trains_through_rewardgym_train_sb3(new_reward):
    cmd = [sys.executable, "-m", "rewardgym.agents.train", f"hydra.searchpath=[file://{new_reward / 'conf'}]",
           "env=cartpole", "reward=upright", "agent.total_timesteps=2048", "agent.n_envs=2", "agent.ppo.n_steps=256",
           "agent.ppo.batch_size=128", "agent.ppo.n_epochs=2", "eval.episodes=5", f"hydra.run.dir={new_reward / 'run'}"]
    out = subprocess.run(cmd, cwd=new_reward, capture_output=True, text=True, timeout=300,
                         env={**__import__("os").environ, "PYTHONPATH": str(new_reward)})
    assert out.returncode == 0, out.stderr
    metrics = json.loads((new_reward / "run" / "metrics.json").read_text())
    assert metrics["reward"] == "tiny_reward.UprightReward" and metrics["total_timesteps"] >= 2048
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(next((new_reward / "run" / "tb").glob("PPO_*")))).Reload()
    scalars = events.Tags()["scalars"]
    assert "shaped/upright" in scalars and "reward/env_mean" in scalars, scalars
    # the model reward is in (0, 1] while CartPole's own reward is 1 per step
    assert 0.0 < events.Scalars("reward/shaped_mean")[-1].value < 1.0


def test_new_reward_trains_through_a_gymnasium_vector_env(new_reward):
    """Cross-entropy search over linear policies, one candidate per env, scored only by the new
    reward (through wrap_vector_env); the ground-truth episode length must rise."""
    from hydra.utils import instantiate

    from rewardgym.reward_wrappers.batched import as_reward
    from rewardgym.reward_wrappers.vector import wrap_vector_env

    cfg = _compose(new_reward / "conf", ["env=cartpole", "reward=upright"])
    reward = as_reward(instantiate(cfg.reward))
    n = 16
    envs = wrap_vector_env(gym.vector.SyncVectorEnv([lambda: reward(gym.make("CartPole-v1"))] * n,
                                                    autoreset_mode=gym.vector.AutoresetMode.NEXT_STEP), reward)
    rng = np.random.default_rng(0)
    mean, std = np.zeros(4), np.ones(4)

    def evaluate(weights):
        obs, _ = envs.reset(seed=int(rng.integers(1 << 30)))
        alive, model_return, length = np.ones(n, bool), np.zeros(n), np.zeros(n)
        for _ in range(200):
            actions = (np.einsum("ij,ij->i", obs, weights) > 0).astype(int)
            obs, r, term, trunc, _ = envs.step(actions)
            model_return += np.where(alive, r, 0.0)
            length += alive
            alive &= ~(term | trunc)
            if not alive.any():
                break
        return model_return, length

    first_lengths = None
    for _ in range(4):
        weights = mean + std * rng.standard_normal((n, 4))
        model_return, length = evaluate(weights)
        first_lengths = length if first_lengths is None else first_lengths
        elite = weights[np.argsort(model_return)[-4:]]  # selected by the model reward alone
        mean, std = elite.mean(0), elite.std(0) + 0.05
    _, final_lengths = evaluate(np.tile(mean, (n, 1)))
    assert envs.batcher.scorer.batches and max(envs.batcher.scorer.batches) == n, "one batch of all envs"
    assert final_lengths.mean() > 2 * first_lengths.mean() and final_lengths.mean() >= 100, (
        first_lengths.mean(), final_lengths.mean())
    envs.close()
