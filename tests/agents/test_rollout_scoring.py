"""Rollout-level scoring gives PPO the same rewards, returns and advantages as per-step scoring."""
import functools

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces
from stable_baselines3.common.vec_env import DummyVecEnv

from rewardgym.agents.vec_reward import RolloutBatchedReward, RolloutScoredPPO, wrap_vec_env
from rewardgym.reward_wrappers.batched import BatchedReward, ModelInputWrapper


class Walk(gym.Env):
    """A 1-D walk; terminates past +-3 and is cut by a time limit of 5 (both ends happen)."""

    def __init__(self):
        self.action_space = spaces.Discrete(2)
        self.observation_space = spaces.Box(-10, 10, (1,), np.float32)
        self.x = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.x = 0
        return np.zeros(1, np.float32), {}

    def step(self, action):
        self.x += 1 if action else -1
        return np.full(1, self.x, np.float32), -1.0, abs(self.x) >= 3, False, {}


class Position(ModelInputWrapper):
    def __init__(self, env, every: int = 1):
        super().__init__(env, every=every)
        self.every, self.t = every, 0

    def reset(self, **kwargs):
        self.t = 0
        return self.env.reset(**kwargs)

    def model_input(self, obs, info, done):
        self.t += 1
        return float(obs[0]) if (self.t - 1) % self.every == 0 or done else None


class Square:
    def __init__(self):
        self.batches = []

    def __call__(self, xs):
        self.batches.append(len(xs))
        x = np.asarray(xs, float)
        return x**2 / 9.0, {"square": x**2 / 9.0}


class SquareReward(BatchedReward):
    wrapper, scorer = Position, Square


def _model(scoring, chunk=None, n_envs=3, n_steps=16, thread=False):
    reward = SquareReward(every=2)
    make = functools.partial(lambda: reward(gym.wrappers.TimeLimit(Walk(), 5)))
    venv = wrap_vec_env(DummyVecEnv([make] * n_envs), reward, scoring=scoring, chunk=chunk, thread=thread)
    cls = RolloutScoredPPO if scoring == "rollout" else __import__("stable_baselines3").PPO
    model = cls("MlpPolicy", venv, n_steps=n_steps, batch_size=16, n_epochs=1, seed=0, device="cpu")
    model.learn(n_steps * n_envs)  # one rollout, one update
    return model, venv


@pytest.mark.parametrize("chunk, thread", [(None, False), (5, False), (5, True)])
def test_rollout_scoring_equals_step_scoring(chunk, thread):
    step_model, step_venv = _model("step")
    roll_model, roll_venv = _model("rollout", chunk, thread=thread)
    a, b = step_model.rollout_buffer, roll_model.rollout_buffer
    np.testing.assert_array_equal(a.actions, b.actions)  # same policy, same seed: the same rollout
    assert np.any(a.rewards != 0) and np.any(a.episode_starts[1:])
    np.testing.assert_allclose(b.rewards, a.rewards, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(b.returns, a.returns, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(b.advantages, a.advantages, rtol=1e-5, atol=1e-5)
    batches = roll_venv.batcher.scorer.batches
    assert len(batches) == (1 if chunk is None else -(-16 // chunk)), batches
    assert len(step_venv.batcher.scorer.batches) > 10, "per-step scoring calls the scorer every step"


def test_rollout_wrapper_checks_and_flush_order():
    reward = SquareReward()
    venv = wrap_vec_env(DummyVecEnv([lambda: reward(Walk())] * 2), reward, scoring="rollout")
    assert isinstance(venv, RolloutBatchedReward)
    venv.reset()
    for _ in range(2):
        _, r, _, _ = venv.step(np.array([1, 0]))
        assert r.tolist() == [0.0, 0.0]
    rewards, terms = venv.flush()
    np.testing.assert_allclose(rewards, [[1 / 9, 1 / 9], [4 / 9, 4 / 9]], rtol=1e-6)
    assert terms["square"].shape == (2, 2) and venv.flush()[0].shape == (0, 2)
    with pytest.raises(ValueError, match="reward scoring must be one of"):
        wrap_vec_env(venv, reward, scoring="episode")
    with pytest.raises(ValueError, match="chunk must be an integer >= 1 or None, got 0"):
        wrap_vec_env(DummyVecEnv([lambda: reward(Walk())]), reward, scoring="rollout", chunk=0)


def test_a_full_chunk_is_scored_while_the_envs_step():
    """With envs in worker processes the model scores a chunk between step_async and step_wait,
    i.e. while the workers step: the scorer is called after the actions are sent and before the
    results are read."""
    events = []

    class Recording(DummyVecEnv):
        def step_async(self, actions):
            events.append("async")
            super().step_async(actions)

        def step_wait(self):
            events.append("wait")
            return super().step_wait()

    class Logged(Square):
        def __call__(self, xs):
            events.append(f"score{len(xs)}")
            return super().__call__(xs)

    class LoggedReward(BatchedReward):
        wrapper, scorer = Position, Logged

    reward = LoggedReward()
    venv = wrap_vec_env(Recording([lambda: reward(Walk())] * 2), reward, scoring="rollout", chunk=2)
    venv.reset()
    for _ in range(3):
        venv.step(np.array([1, 1]))
    assert events == ["async", "wait", "async", "wait", "async", "score4", "wait"], events
    rewards, _ = venv.flush()  # the third step's frames, scored at the flush
    np.testing.assert_allclose(rewards, [[1 / 9] * 2, [4 / 9] * 2, [1.0] * 2], rtol=1e-6)
    assert events[-1] == "score2"


@pytest.mark.parametrize("algo, normalize_reward, expected", [
    ("ppo", False, "rollout"), ("ppo", True, "step"), ("sac", False, "step")])
def test_auto_scoring_is_rollout_for_ppo_unless_rewards_are_normalized(algo, normalize_reward, expected):
    from omegaconf import OmegaConf

    from rewardgym.agents.algorithms import scoring

    agent = OmegaConf.create({"algo": algo, algo: {}, "reward_scoring": "auto", "reward_chunk": 8,
                              "normalize": {"reward": normalize_reward}})
    assert scoring(agent) == (expected, 8)
    agent.reward_scoring = "step"
    assert scoring(agent) == ("step", 8)


@pytest.mark.parametrize("algo, n_steps, expected", [("ppo", None, 32), ("ppo", 512, 32), ("ppo", 16, 16),
                                                     ("sac", None, None)])
def test_auto_chunk_is_32_steps_or_the_rollout(algo, n_steps, expected):
    from omegaconf import OmegaConf

    from rewardgym.agents.algorithms import AUTO_CHUNK, scoring

    agent = OmegaConf.create({"algo": algo, algo: {} if n_steps is None else {"n_steps": n_steps},
                              "reward_scoring": "auto", "reward_chunk": "auto"})
    assert AUTO_CHUNK == 32 and scoring(agent)[1] == expected


def test_auto_vec_env_is_subproc_for_a_batched_reward_only():
    """``agent.vec_env=auto``: worker processes when every env renders frames for a batched model reward,
    one process otherwise; a bad value names itself and the choices."""
    from rewardgym.agents.env_factory import vec_env_kind

    assert vec_env_kind("auto", SquareReward()) == "subproc"
    assert vec_env_kind("auto", None) == "dummy"
    assert vec_env_kind("auto", lambda env: env) == "dummy"  # a per-env wrapper (e.g. keypoints)
    assert vec_env_kind("dummy", SquareReward()) == "dummy" and vec_env_kind("subproc", None) == "subproc"
    with pytest.raises(ValueError, match="agent.vec_env must be one of auto, dummy, subproc, got 'threads'"):
        vec_env_kind("threads", None)


class Slow(Square):
    """Square, slowly, recording the thread each batch ran in."""

    def __init__(self):
        super().__init__()
        self.threads = []

    def __call__(self, xs):
        import threading
        import time

        time.sleep(0.05)
        self.threads.append(threading.current_thread().name)
        return super().__call__(xs)


class SlowReward(BatchedReward):
    wrapper, scorer = Position, Slow


def test_chunks_scored_in_a_thread_come_back_in_order():
    """With thread=True full chunks are scored by one background thread while the steps go on; the
    flush waits for them and scores the rest itself; rewards in step order, as without the thread."""
    reward = SlowReward(every=2)  # held scores: a chunk scored out of order would hold the wrong value
    venv = wrap_vec_env(DummyVecEnv([lambda: reward(Walk())] * 2), reward, scoring="rollout", chunk=2, thread=True)
    venv.reset()
    for _ in range(6):
        venv.step(np.array([1, 0]))
    rewards, terms = venv.flush()
    # positions +-1, 2, 3 (the walk ends and resets), 1, 2, 3; every=2 scores steps 1, 3, 4 (an
    # episode's first) and 6 (its last); steps 2 and 5 hold the score before
    held = np.array([1, 1, 9, 1, 1, 9])[:, None] / 9 * [1, 1]
    np.testing.assert_allclose(rewards, held, rtol=1e-6)
    np.testing.assert_allclose(terms["square"], held, rtol=1e-6)
    threads = venv.batcher.scorer.threads
    assert threads[:2] == ["reward-scoring_0"] * 2 and threads[2] == "MainThread", threads
    venv.close()


def test_an_error_in_the_scoring_thread_is_raised_by_the_flush():
    class Failing(Square):
        def __call__(self, xs):
            raise RuntimeError("model failed")

    class FailingReward(BatchedReward):
        wrapper, scorer = Position, Failing

    reward = FailingReward()
    venv = wrap_vec_env(DummyVecEnv([lambda: reward(Walk())]), reward, scoring="rollout", chunk=1, thread=True)
    venv.reset()
    for _ in range(3):
        venv.step(np.array([1]))  # the second and third steps submit the chunks before
    with pytest.raises(RuntimeError, match="model failed"):
        venv.flush()
    venv.close()
