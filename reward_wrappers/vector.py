"""The Gymnasium ``VectorEnv`` side of a batched reward (no stable-baselines3 needed).

Gymnasium stacks the envs' infos into a dict of arrays with ``_key`` masks. With the
``NEXT_STEP`` autoreset mode the reset step of an env has no request and gets reward 0 (as
Gymnasium gives); with ``SAME_STEP`` the terminal step's request is read from
``info["final_info"]``. Scoring itself is :class:`~rewardgym.reward_wrappers.batched.RewardBatcher`.

Example:
    >>> from rewardgym.reward_wrappers.vector import wrap_vector_env
    >>> envs = wrap_vector_env(gym.vector.SyncVectorEnv([lambda: reward(make())] * 4), reward)  # doctest: +SKIP
"""
from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from .base import SHAPED_REWARD_KEY, shaped_key
from .batched import REQUEST_KEY, BatchedReward, ModelRequest, RewardBatcher


def _pop_requests(info: dict, n: int) -> list[ModelRequest | None]:
    """Requests of the envs that stepped, from ``info`` and (SAME_STEP) ``info["final_info"]``."""
    requests: list[ModelRequest | None] = [None] * n
    sources = [info]
    if isinstance(info.get("final_info"), dict):
        sources.append(info["final_info"])
    for src in sources:
        mask = np.asarray(src.pop(f"_{REQUEST_KEY}", np.zeros(n, bool)), dtype=bool)
        values = src.pop(REQUEST_KEY, None)
        for i in np.flatnonzero(mask):
            requests[i] = values[i]
    return requests


class VectorBatchedReward(gym.vector.VectorWrapper):
    """Scores all envs' requests of a vector step in one :class:`RewardBatcher` call.

    Writes ``info["shaped_reward"]`` and ``info["shaped_<term>"]`` (with their ``_`` masks: the
    envs that stepped).
    """

    def __init__(self, env: gym.vector.VectorEnv, batcher: RewardBatcher):
        super().__init__(env)
        self.batcher = batcher

    def step(self, actions: Any):
        obs, _, terminated, truncated, info = self.env.step(actions)
        info = dict(info)
        requests = _pop_requests(info, self.num_envs)
        stepped = np.array([r is not None for r in requests])
        rewards, terms = self.batcher(requests)
        for key, values in [(SHAPED_REWARD_KEY, rewards), *((shaped_key(k), v) for k, v in terms.items())]:
            info[key], info[f"_{key}"] = np.where(stepped, values, 0.0), stepped.copy()
        return obs, rewards, terminated, truncated, info


def wrap_vector_env(envs: gym.vector.VectorEnv, reward: Any, batch_size: int | None = None) -> gym.vector.VectorEnv:
    """Adds the vector half of a batched reward to a Gymnasium vector env whose envs were each
    wrapped by ``reward``; any other reward (None, a per-env wrapper) leaves ``envs`` as it is.

    Task facts the scorer needs (e.g. the prompts) are read from the first env when the reward
    config leaves them unset.
    """
    if not isinstance(reward, BatchedReward):
        return envs
    return VectorBatchedReward(envs, reward.batcher(lambda name: envs.get_attr(name)[0], batch_size))
