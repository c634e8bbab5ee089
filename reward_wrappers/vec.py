"""Vector halves of batched rewards: one scorer call per vector step, in the main process."""
from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper

from .base import INPUT_KEY, RewardScorer


def _score(scorer: RewardScorer, infos: list[dict]) -> np.ndarray:
    missing = [i for i, info in enumerate(infos) if INPUT_KEY not in info]
    if missing:
        raise RuntimeError(
            f"envs {missing} returned no info[{INPUT_KEY!r}]: wrap each env with the batched "
            "reward wrapper before building the vector env"
        )
    inputs = [info.pop(INPUT_KEY) for info in infos]
    rewards, terms = scorer(inputs, infos)
    rewards = np.asarray(rewards, dtype=np.float32).reshape(len(infos))
    for i, info in enumerate(infos):
        for name, values in terms.items():
            info[f"reward_{name}"] = float(values[i])
        info["reward_model"] = float(rewards[i])
    return rewards


class VecBatchedReward(VecEnvWrapper):
    """stable-baselines3 ``VecEnv`` wrapper that scores all envs' inputs in one scorer call."""

    def __init__(self, venv: VecEnv, scorer: RewardScorer):
        super().__init__(venv)
        self.scorer = scorer

    def reset(self):
        return self.venv.reset()

    def step_wait(self):
        obs, _, dones, infos = self.venv.step_wait()
        infos = [dict(info) for info in infos]
        return obs, _score(self.scorer, infos), dones, infos


class VectorBatchedReward(gym.vector.VectorWrapper):
    """Gymnasium ``VectorEnv`` twin of :class:`VecBatchedReward` (infos as a dict of arrays)."""

    def __init__(self, env: gym.vector.VectorEnv, scorer: RewardScorer):
        super().__init__(env)
        self.scorer = scorer

    def step(self, actions: Any):
        obs, _, terminated, truncated, info = self.env.step(actions)
        n = self.num_envs
        if INPUT_KEY not in info:
            raise RuntimeError(f"the vector env returned no info[{INPUT_KEY!r}]")
        inputs = list(info.pop(INPUT_KEY))
        per_env = [{k: v[i] for k, v in info.items() if not k.startswith("_")} for i in range(n)]
        for i in range(n):
            per_env[i][INPUT_KEY] = inputs[i]
        rewards = _score(self.scorer, per_env)
        info = dict(info)
        info["reward_model"] = rewards.copy()
        return obs, rewards, terminated, truncated, info
