"""The batched reward design: per-env input in info, one scorer call per vector step, auto-reset safe."""
import functools

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

from rewardgym.reward_wrappers.base import BatchedRewardWrapper, RewardWrapper, is_batched, wrap_vec_env, wrap_vector_env

EPISODE = 3


class Counter(gym.Env):
    """Episode of EPISODE steps; its 'frame' is (env id, step count), ground-truth reward -1."""

    metadata = {"render_modes": ["rgb_array"]}
    render_mode = "rgb_array"

    def __init__(self, uid=0):
        self.uid, self.t = uid, 0
        self.action_space = spaces.Discrete(2)
        self.observation_space = spaces.Box(0, 100, (1,), np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.zeros(1, np.float32), {}

    def step(self, action):
        self.t += 1
        return np.full(1, self.t, np.float32), -1.0, self.t >= EPISODE, False, {}

    def render(self):
        return np.array([self.uid, self.t], dtype=np.int64)


class Scorer:
    """reward = 10 * uid + step of the frame; counts its calls; holds the last reward on None."""

    def __init__(self, offset=0.0):
        self.calls, self.offset, self.held, self.seen = 0, offset, {}, []

    def __call__(self, inputs, infos):
        self.calls += 1
        self.seen.append(list(inputs))
        out = np.array([self.held.get(i, 0.0) if x is None else 10.0 * x[0] + x[1] + self.offset
                        for i, x in enumerate(inputs)])
        self.held.update({i: v for i, v in enumerate(out)})
        return out, {"fake": out * 2}


class FrameReward(BatchedRewardWrapper):
    def __init__(self, env, offset: float = 0.0, every: int = 1):
        super().__init__(env, offset=offset, every=every)
        self.every = every

    def model_input(self, obs, info, done):
        return self.env.render() if (self.env.unwrapped.t % self.every == 0 or done) else None

    @classmethod
    def make_scorer(cls, offset=0.0, every=1):
        return Scorer(offset)


class Plus1(RewardWrapper):
    def reward(self, obs, env_reward, terminated, truncated, info):
        return env_reward + 1, {"plus": 1.0}


def test_per_env_reward_wrapper_keeps_env_reward_and_terms():
    env = Plus1(Counter())
    env.reset()
    _, r, _, _, info = env.step(0)
    assert r == 0.0 and info["env_reward"] == -1.0 and info["reward_plus"] == 1.0
    assert not is_batched(Plus1) and not is_batched(None) and not is_batched(lambda e: e)
    assert is_batched(functools.partial(FrameReward, offset=1.0))


def test_sb3_one_call_per_step_and_terminal_frame_survives_autoreset():
    from stable_baselines3.common.vec_env import DummyVecEnv

    factory = functools.partial(FrameReward, offset=0.5)
    venv = wrap_vec_env(DummyVecEnv([functools.partial(lambda i: factory(Counter(i)), i) for i in range(4)]), factory)
    venv.reset()
    for step in range(1, 2 * EPISODE + 1):
        _, rewards, dones, infos = venv.step(np.zeros(4, dtype=int))
        assert venv.scorer.calls == step
        t = (step - 1) % EPISODE + 1  # the step count of the frame that must have been scored
        np.testing.assert_allclose(rewards, 10 * np.arange(4) + t + 0.5)
        assert dones.all() == (t == EPISODE)
        assert [info["env_reward"] for info in infos] == [-1.0] * 4
        assert [info["reward_fake"] for info in infos] == pytest.approx(list(2 * rewards))
        assert all("reward_input" not in info and "reward_pending" not in info for info in infos)


def test_sb3_unwrapped_envs_are_a_clear_error():
    from stable_baselines3.common.vec_env import DummyVecEnv

    venv = wrap_vec_env(DummyVecEnv([Counter]), functools.partial(FrameReward))
    venv.reset()
    with pytest.raises(RuntimeError, match="wrap each env"):
        venv.step(np.zeros(1, dtype=int))


@pytest.mark.parametrize("mode", ["NextStep", "SameStep"])
def test_gymnasium_vector_twin_in_both_autoreset_modes(mode):
    factory = functools.partial(FrameReward, every=2)
    envs = gym.vector.SyncVectorEnv([functools.partial(lambda i: factory(Counter(i)), i) for i in range(3)],
                                    autoreset_mode=gym.vector.AutoresetMode(mode))
    envs = wrap_vector_env(envs, factory)
    envs.reset(seed=0)
    got = []
    for _ in range(2 * EPISODE + 1):
        _, rewards, term, _, info = envs.step(np.zeros(3, dtype=int))
        got.append(rewards[0])
        assert "reward_input" not in info and "reward_pending" not in info
    assert envs.scorer.calls == 2 * EPISODE + 1
    # every=2: frames scored at t=2 and at the terminal t=3; t=1 holds the last score
    if mode == "NextStep":  # t=1,2,3, reset step (0), t=1,2,3
        assert got == [0.0, 2.0, 3.0, 0.0, 3.0, 2.0, 3.0]
    else:  # t=1,2,3 with the terminal frame read from final_info, then t=1,2,3,1
        assert got == [0.0, 2.0, 3.0, 3.0, 2.0, 3.0, 3.0]
