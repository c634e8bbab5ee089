"""The stable-baselines3 side of a batched reward: one scorer call per ``VecEnv`` step.

SB3's VecEnvs give a list of info dicts and auto-reset inside ``step``; the per-env half made
its request (the frame) before that reset, so the last frame of an episode is the terminal one.
Scoring is :class:`rewardgym.reward_wrappers.batched.RewardBatcher`, as everywhere else.
"""
from __future__ import annotations

from typing import Any

from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper

from rewardgym.reward_wrappers.batched import BatchedReward, RewardBatcher, score_infos


class VecBatchedReward(VecEnvWrapper):
    """Replaces each step's rewards by the batched reward's, scored for all envs at once."""

    def __init__(self, venv: VecEnv, batcher: RewardBatcher):
        super().__init__(venv)
        self.batcher = batcher

    def reset(self):
        return self.venv.reset()

    def step_wait(self):
        obs, _, dones, infos = self.venv.step_wait()
        infos = [dict(info) for info in infos]
        rewards = score_infos(self.batcher, infos)
        return obs, rewards, dones, infos


def wrap_vec_env(venv: VecEnv, reward: Any, batch_size: int | None = None) -> VecEnv:
    """Adds the vector half of a batched reward on top of a VecEnv whose envs were each wrapped
    by ``reward``; any other reward (None, a per-env wrapper) leaves ``venv`` as it is.

    Task facts the scorer needs (e.g. the prompts) are read from the first env (in its worker
    process for a ``SubprocVecEnv``) when the reward config leaves them unset.
    """
    if not isinstance(reward, BatchedReward):
        return venv

    def env_attr(name: str) -> Any:
        if not venv.has_attr(name):  # asked first: a worker process dies on a missing attribute
            raise AttributeError(name)
        return venv.get_attr(name, indices=[0])[0]

    return VecBatchedReward(venv, reward.batcher(env_attr, batch_size))
