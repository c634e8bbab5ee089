"""What the training app adds to every step, checked without training: the info logger's
averages and the finite-action check (both rewritten in plain Python for speed)."""
import gymnasium as gym
import numpy as np
import pytest

from rewardgym.agents.callbacks import InfoLoggerCallback
from rewardgym.agents.env_factory import FiniteActionCheck


class _Logger:
    def __init__(self):
        self.records = {}

    def record(self, key, value):
        self.records[key] = value


class _Model:  # what BaseCallback.init_callback takes the logger from
    def __init__(self):
        self.logger, self.num_timesteps = _Logger(), 0


def test_info_logger_averages_each_term_over_the_rollout():
    cb = InfoLoggerCallback(window=10)
    cb.model = _Model()
    steps = [
        ([{"reward_dist": 1.0, "shaped_bonus": np.float32(0.5), "shaped_reward": 9.0, "env_reward": 1,
           "success": True, "note": "text", "boxes": np.zeros((1, 4))},
          {"reward_dist": 3.0, "success": False, "reward_vec": np.ones(2)}], [True, False], np.array([1.0, 2.0])),
        ([{"reward_dist": 2.0, "env_reward": 3.0, "success": False},
          {"shaped_bonus": 1.5, "success": True}], [False, True], np.array([3.0, 6.0], np.float32)),
    ]
    for infos, dones, rewards in steps:
        cb.locals = {"infos": infos, "dones": np.array(dones), "rewards": rewards}
        assert cb.on_step() is True
    cb.on_rollout_end()
    got = cb.model.logger.records
    assert got["reward/shaped_mean"] == pytest.approx(3.0)           # (1 + 2 + 3 + 6) / 4
    assert got["env/dist"] == pytest.approx(2.0) and "env/vec" not in got   # arrays are not scalars
    assert got["shaped/bonus"] == pytest.approx(1.0) and "shaped/reward" not in got
    assert got["reward/env_mean"] == pytest.approx(2.0)
    assert got["rollout/success_rate"] == pytest.approx(1.0)          # the two finished episodes both succeeded
    assert not any(k.endswith("note") for k in got)


class _Echo(gym.Env):
    action_space = gym.spaces.Box(-np.inf, np.inf, (3,), np.float32)
    observation_space = gym.spaces.Box(0, 1, (1,), np.float32)

    def step(self, action):
        return np.zeros(1, np.float32), 0.0, False, False, {"action": action}

    def reset(self, *, seed=None, options=None):
        return np.zeros(1, np.float32), {}


@pytest.mark.parametrize("bad", [[0.0, np.nan, 1.0], [np.inf, 0.0, 0.0], [-np.inf, np.inf, 0.0]])
def test_finite_action_check_refuses_nan_and_inf(bad):
    env = FiniteActionCheck(_Echo())
    with pytest.raises(ValueError, match="action must be finite"):
        env.step(np.array(bad, np.float32))


def test_finite_action_check_passes_huge_finite_and_integer_actions():
    env = FiniteActionCheck(_Echo())
    huge = np.array([3e38, 3e38, -1.0], np.float32)  # its sum overflows: checked exactly, and finite
    assert env.step(huge)[4]["action"] is huge
    assert env.step(np.array([1.7e308, 1.7e308, 0.0]))[4]["action"][0] == 1.7e308
    assert env.step(np.array([1, 2, 3]))[4]["action"].tolist() == [1, 2, 3]


def test_a_replay_buffer_larger_than_the_machine_is_refused_up_front():
    from hydra import compose, initialize_config_module

    from rewardgym.agents.algorithms import check_agent, replay_buffer_bytes

    with initialize_config_module(config_module="rewardgym.conf", version_base=None):
        agent = compose(config_name="config", overrides=["agent=sac"]).agent
    screenshots = gym.spaces.Box(0, 255, (210, 160, 3), np.uint8)
    actions = gym.spaces.Box(0, 1, (2,), np.float32)
    assert replay_buffer_bytes(agent, screenshots) == 300_000 * 210 * 160 * 3 * 2  # observations and next ones
    check_agent(agent, actions, False, gym.spaces.Box(-1, 1, (10,), np.float32))  # 24 MB: fine
    agent.sac.buffer_size = 10**9
    with pytest.raises(ValueError, match=r"agent.sac.buffer_size=1000000000 observations of shape \(210, 160, 3\) "
                                         r"need .* GiB for SB3's replay buffer, more than this machine's"):
        check_agent(agent, actions, False, screenshots)
