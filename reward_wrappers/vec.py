"""Vector halves of batched rewards: one scorer call per vector step, in the main process.

:class:`VecBatchedReward` wraps a stable-baselines3 ``VecEnv`` (infos: a list of dicts; SB3
auto-resets inside ``step`` but the per-env wrapper rendered the frame before that, so the
last frame of an episode is the terminal one). :class:`VectorBatchedReward` wraps a Gymnasium
``VectorEnv`` (infos: a dict of arrays with ``_key`` masks) in any autoreset mode: with
``NEXT_STEP`` the reset step of an env has no input and gets reward 0 (as Gymnasium gives);
with ``SAME_STEP`` the terminal step's input is read from ``info["final_info"]``.
"""
from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper

from .base import INPUT_KEY, PENDING_KEY, RewardScorer


def score_batch(scorer: RewardScorer, inputs: list[Any], infos: list[dict]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One scorer call over all envs; ``inputs[i]`` None means "no new input" (the scorer holds)."""
    rewards, terms = scorer(inputs, infos)
    rewards = np.asarray(rewards, dtype=np.float32).reshape(len(inputs))
    terms = {name: np.asarray(v, dtype=np.float64).reshape(len(inputs)) for name, v in terms.items()}
    return rewards, terms


class VecBatchedReward(VecEnvWrapper):
    """stable-baselines3 ``VecEnv`` wrapper that scores all envs' inputs in one scorer call.

    Example:
        >>> venv = wrap_vec_env(DummyVecEnv([make_env] * 8), factory)  # doctest: +SKIP
    """

    def __init__(self, venv: VecEnv, scorer: RewardScorer):
        super().__init__(venv)
        self.scorer = scorer

    def reset(self):
        return self.venv.reset()

    def step_wait(self):
        obs, _, dones, infos = self.venv.step_wait()
        infos = [dict(info) for info in infos]
        missing = [i for i, info in enumerate(infos) if not info.pop(PENDING_KEY, False)]
        if missing:
            raise RuntimeError(f"envs {missing} returned no info[{PENDING_KEY!r}]: wrap each env with the "
                               "batched reward wrapper (factory(env)) before building the vector env")
        inputs = [info.pop(INPUT_KEY, None) for info in infos]
        rewards, terms = score_batch(self.scorer, inputs, infos)
        for i, info in enumerate(infos):
            for name, values in terms.items():
                info[f"reward_{name}"] = float(values[i])
            info["reward_model"] = float(rewards[i])
        return obs, rewards, dones, infos


class VectorBatchedReward(gym.vector.VectorWrapper):
    """Gymnasium ``VectorEnv`` twin of :class:`VecBatchedReward` (infos as a dict of arrays)."""

    def __init__(self, env: gym.vector.VectorEnv, scorer: RewardScorer):
        super().__init__(env)
        self.scorer = scorer

    def step(self, actions: Any):
        obs, env_rewards, terminated, truncated, info = self.env.step(actions)
        n = self.num_envs
        info = dict(info)
        stepped = np.zeros(n, dtype=bool)
        inputs: list[Any] = [None] * n
        sources = [info]
        final = info.get("final_info")
        if isinstance(final, dict):  # SAME_STEP autoreset: the terminal step's info lives here
            sources.append(final)
        for src in sources:
            mask = np.asarray(src.get(f"_{PENDING_KEY}", np.zeros(n, bool)), dtype=bool)
            stepped |= mask
            has_input = np.asarray(src.get(f"_{INPUT_KEY}", np.zeros(n, bool)), dtype=bool)
            for i in np.flatnonzero(has_input):
                inputs[i] = src[INPUT_KEY][i]
            src.pop(INPUT_KEY, None), src.pop(f"_{INPUT_KEY}", None)
            src.pop(PENDING_KEY, None), src.pop(f"_{PENDING_KEY}", None)
        per_env = [{k: v[i] for k, v in info.items() if not k.startswith("_") and isinstance(v, np.ndarray)}
                   for i in range(n)]
        rewards, terms = score_batch(self.scorer, inputs, per_env)
        # NEXT_STEP autoreset: an env that only reset this call gets Gymnasium's reward (0)
        rewards = np.where(stepped, rewards, np.asarray(env_rewards, dtype=np.float32)).astype(np.float32)
        for name, values in terms.items():
            info[f"reward_{name}"] = np.where(stepped, values, 0.0)
            info[f"_reward_{name}"] = stepped.copy()
        info["reward_model"], info["_reward_model"] = rewards.copy(), stepped.copy()
        return obs, rewards, terminated, truncated, info
