"""The batched reward contract: per-env requests in info, one scoring path, auto-reset safe."""
import functools

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

from rewardgym.reward_wrappers.base import RewardWrapper
from rewardgym.reward_wrappers.batched import (BatchedReward, ModelInputWrapper, ModelRequest, RewardBatcher,
                                               as_reward, needs_frames, score_infos)
from rewardgym.reward_wrappers.vector import wrap_vector_env

EPISODE = 3


class Counter(gym.Env):
    """Episode of EPISODE steps; its 'frame' is (env id, step count), ground-truth reward -1."""

    metadata = {"render_modes": ["rgb_array"]}
    render_mode = "rgb_array"
    offset_from_env = 100.0  # a task fact the scorer reads when its config leaves it unset

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


class EveryK(ModelInputWrapper):
    """Per-env half: the frame every ``every`` steps (and at the episode's end)."""

    def __init__(self, env, every: int = 1):
        super().__init__(env, every=every)
        self.every = every

    def model_input(self, obs, info, done):
        return self.env.render() if (self.env.unwrapped.t % self.every == 0 or done) else None


class UidStepScorer:
    """reward = 10 * uid + step of the frame + offset; records every batch it sees."""

    def __init__(self, offset: float):
        self.offset, self.batches = offset, []

    def __call__(self, inputs):
        self.batches.append(len(inputs))
        out = np.array([10.0 * x[0] + x[1] + self.offset for x in inputs])
        return out, {"fake": out * 2}


class FrameReward(BatchedReward):
    wrapper = EveryK
    scorer = UidStepScorer
    env_defaults = {"offset": "offset_from_env"}
    needs_frames = True


class Plus1(RewardWrapper):
    def reward(self, obs, env_reward, terminated, truncated, info):
        return env_reward + 1, {"plus": 1.0}


def test_per_env_reward_wrapper_keeps_env_reward_and_writes_shaped_terms():
    env = Plus1(Counter())
    env.reset()
    _, r, _, _, info = env.step(0)
    assert r == 0.0 and info["env_reward"] == -1.0
    assert info["shaped_plus"] == 1.0 and info["shaped_reward"] == 0.0
    assert not any(k.startswith("reward_") for k in info), "wrapper terms are not named like the env's terms"


def test_arguments_go_to_the_half_that_declares_them():
    reward = FrameReward(every=2, offset=0.5)
    assert reward.wrapper_kwargs == {"every": 2} and reward.scorer_kwargs == {"offset": 0.5}
    with pytest.raises(TypeError, match=r"unknown arguments \['evry'\]; valid: \['every', 'offset'\]"):
        FrameReward(evry=2)

    class Clash(BatchedReward):
        wrapper = EveryK
        scorer = staticmethod(lambda every: None)

    with pytest.raises(TypeError, match=r"\['every'\] are declared by both halves"):
        Clash(every=1)


def test_scorer_reads_unset_task_facts_from_the_env_and_says_when_it_cannot():
    assert FrameReward().make_scorer(lambda name: getattr(Counter(), name)).offset == 100.0
    assert FrameReward(offset=1.0).make_scorer(lambda name: 1 / 0).offset == 1.0  # set: env not asked
    with pytest.raises(ValueError, match=r"offset is not set and the env has no attribute 'offset_from_env'.*reward.offset="):
        FrameReward().make_scorer(lambda name: getattr(object(), name))


def test_hydra_partial_and_plain_instances_are_the_same_reward():
    r = as_reward(functools.partial(FrameReward, every=3, offset=0.0))
    assert isinstance(r, FrameReward) and r.wrapper_kwargs == {"every": 3}
    plain = Plus1
    assert as_reward(plain) is plain and as_reward(None) is None
    assert needs_frames(r) and needs_frames(functools.partial(FrameReward)) and not needs_frames(Plus1)


def test_batcher_hold_zero_and_absent():
    batcher = RewardBatcher(lambda xs: (np.asarray(xs, float), {"x": np.asarray(xs, float)}))
    r, t = batcher([ModelRequest(1.0), ModelRequest(2.0, "zero"), None])
    assert r.tolist() == [1.0, 2.0, 0.0] and t["x"].tolist() == [1.0, 2.0, 0.0]
    r, t = batcher([ModelRequest(None, "hold"), ModelRequest(None, "zero"), ModelRequest(None, "hold")])
    assert r.tolist() == [1.0, 0.0, 0.0] and t["x"].tolist() == [1.0, 0.0, 0.0]
    assert batcher.calls == 1, "a step with nothing to score calls no model"
    with pytest.raises(ValueError, match=r"fill must be one of \('hold', 'zero'\), got 'keep'"):
        ModelRequest(None, "keep")


def test_batcher_chunks_a_large_call_and_checks_the_scorer():
    seen = []
    batcher = RewardBatcher(lambda xs: (seen.append(len(xs)) or np.asarray(xs, float), {}), batch_size=4)
    r, _ = batcher([ModelRequest(float(i)) for i in range(10)])
    assert seen == [4, 4, 2] and r.tolist() == list(range(10)) and batcher.calls == 3
    bad = RewardBatcher(lambda xs: (np.zeros(len(xs) + 1), {}))
    with pytest.raises(ValueError, match="returned 3 rewards for 2 inputs"):
        bad([ModelRequest(0.0), ModelRequest(1.0)])
    with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
        RewardBatcher(lambda xs: xs, batch_size=0)


def test_sb3_one_call_per_step_and_terminal_frame_survives_autoreset():
    from stable_baselines3.common.vec_env import DummyVecEnv

    from rewardgym.agents.vec_reward import wrap_vec_env

    reward = FrameReward(offset=0.5)
    venv = wrap_vec_env(DummyVecEnv([functools.partial(lambda i: reward(Counter(i)), i) for i in range(4)]), reward)
    venv.reset()
    scorer = venv.batcher.scorer
    for step in range(1, 2 * EPISODE + 1):
        _, rewards, dones, infos = venv.step(np.zeros(4, dtype=int))
        assert scorer.batches == [4] * step, "one scorer call with every env's frame per vector step"
        t = (step - 1) % EPISODE + 1  # the step count of the frame that must have been scored
        np.testing.assert_allclose(rewards, 10 * np.arange(4) + t + 0.5)
        assert dones.all() == (t == EPISODE)
        assert [info["env_reward"] for info in infos] == [-1.0] * 4
        assert [info["shaped_fake"] for info in infos] == pytest.approx(list(2 * rewards))
        assert [info["shaped_reward"] for info in infos] == pytest.approx(list(rewards))
        assert all("model_request" not in info for info in infos)


def test_sb3_reads_the_scorer_default_from_a_worker_process_env():
    from stable_baselines3.common.vec_env import SubprocVecEnv

    from rewardgym.agents.vec_reward import wrap_vec_env

    reward = FrameReward()
    venv = wrap_vec_env(SubprocVecEnv([functools.partial(lambda i: reward(Counter(i)), i) for i in range(2)]), reward)
    try:
        venv.reset()
        _, rewards, _, _ = venv.step(np.zeros(2, dtype=int))
        np.testing.assert_allclose(rewards, [101.0, 111.0])
    finally:
        venv.close()


def test_unwrapped_envs_are_a_clear_error():
    from stable_baselines3.common.vec_env import DummyVecEnv

    from rewardgym.agents.vec_reward import wrap_vec_env

    venv = wrap_vec_env(DummyVecEnv([Counter]), FrameReward(offset=0.0))
    venv.reset()
    with pytest.raises(RuntimeError, match="wrap each env"):
        venv.step(np.zeros(1, dtype=int))


def test_per_env_rewards_leave_the_vector_alone():
    from stable_baselines3.common.vec_env import DummyVecEnv

    from rewardgym.agents.vec_reward import wrap_vec_env

    venv = DummyVecEnv([lambda: Plus1(Counter())])
    assert wrap_vec_env(venv, Plus1) is venv and wrap_vec_env(venv, None) is venv
    envs = gym.vector.SyncVectorEnv([lambda: Plus1(Counter())])
    assert wrap_vector_env(envs, Plus1) is envs


def test_list_of_infos_path_skips_envs_that_did_not_step():
    reward = FrameReward(offset=0.0)
    env = reward(Counter(3))
    env.reset()
    info = env.step(0)[-1]
    rewards = score_infos(reward.batcher(), [None, info])
    assert rewards.tolist() == [0.0, 31.0] and info["shaped_reward"] == 31.0


@pytest.mark.parametrize("mode", ["NextStep", "SameStep"])
def test_gymnasium_vector_twin_in_both_autoreset_modes(mode):
    reward = FrameReward(every=2, offset=0.0)
    envs = gym.vector.SyncVectorEnv([functools.partial(lambda i: reward(Counter(i)), i) for i in range(3)],
                                    autoreset_mode=gym.vector.AutoresetMode(mode))
    envs = wrap_vector_env(envs, reward)
    envs.reset(seed=0)
    got = []
    for _ in range(2 * EPISODE + 1):
        _, rewards, term, _, info = envs.step(np.zeros(3, dtype=int))
        got.append(rewards[0])
        assert "model_request" not in info and "_model_request" not in info
        np.testing.assert_allclose(info["shaped_reward"], rewards)
    # every=2: frames scored at t=2 and at the terminal t=3; t=1 holds the last score
    if mode == "NextStep":  # t=1,2,3, reset step (0), t=1,2,3
        assert got == [0.0, 2.0, 3.0, 0.0, 3.0, 2.0, 3.0]
    else:  # t=1,2,3 with the terminal frame read from final_info, then t=1,2,3,1
        assert got == [0.0, 2.0, 3.0, 3.0, 2.0, 3.0, 3.0]


def test_a_whole_rollout_scores_as_step_by_step_in_one_call():
    rng = np.random.default_rng(0)
    steps = []
    for t in range(7):
        row = []
        for i in range(3):
            kind = rng.integers(4)
            row.append(None if kind == 0 else ModelRequest(float(rng.normal()) if kind == 1 else None,
                                                           "zero" if kind == 2 else "hold"))
        steps.append(row)

    def scorer(xs):
        x = np.asarray(xs, float)
        return 3 * x, {"x": x}

    by_step, whole = RewardBatcher(scorer), RewardBatcher(scorer)
    stepped = [by_step(row) for row in steps]
    rewards, terms = whole.rollout(steps)
    np.testing.assert_array_equal(rewards, np.stack([r for r, _ in stepped]))
    np.testing.assert_array_equal(terms["x"], np.stack([t.get("x", np.zeros(3)) for _, t in stepped]))
    assert whole.calls == 1 and by_step.calls > 1
    assert any(r is not None and r.input is None and r.fill == "hold" for row in steps for r in row)
