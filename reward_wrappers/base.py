"""Base classes shared by rewardgym's reward wrappers, and the hook that batches model rewards.

Two kinds of reward wrapper exist:

* :class:`RewardWrapper` computes its reward inside one env (cheap rewards: the Gaussian
  grounding reward, the keypoint reward).
* :class:`BatchedRewardWrapper` is the per-env half of a model reward (CLIP): its ``step``
  only puts the model's input (the rendered frame of *that* step, so an auto-reset never
  replaces the last frame of an episode) into ``info["reward_input"]``. The vector half,
  :class:`VecBatchedReward`, built in the main process by :func:`wrap_vec_env`, scores the
  inputs of all envs in one call and writes the rewards.

Either way the env's own (ground-truth) reward is kept in ``info["env_reward"]`` and the
wrapper's terms land in ``info["reward_<term>"]``.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Protocol

import gymnasium as gym
import numpy as np

INPUT_KEY = "reward_input"
PENDING_KEY = "reward_pending"  # set by every step of a BatchedRewardWrapper: "score me"


class RewardWrapper(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Replaces the env's reward with :meth:`reward`; keeps the env's own in ``info``.

    Subclasses validate their arguments in ``__init__`` (raising ``ValueError`` that names the
    bad value), call ``super().__init__(env, **constructor_args)`` and implement
    :meth:`reward`.
    """

    def __init__(self, env: gym.Env, **constructor_args: Any):
        gym.utils.RecordConstructorArgs.__init__(self, **constructor_args)
        gym.Wrapper.__init__(self, env)

    def reward(
        self, obs: Any, env_reward: float, terminated: bool, truncated: bool, info: dict
    ) -> tuple[float, dict[str, float]]:
        """Returns ``(reward, terms)``; each term is logged as ``info["reward_<term>"]``."""
        raise NotImplementedError

    def step(self, action):
        obs, env_reward, terminated, truncated, info = self.env.step(action)
        info = dict(info)
        info["env_reward"] = float(env_reward)
        reward, terms = self.reward(obs, float(env_reward), terminated, truncated, info)
        for name, value in terms.items():
            info[f"reward_{name}"] = float(value)
        return obs, float(reward), terminated, truncated, info


class RewardScorer(Protocol):
    """Scores a batch: ``(inputs, infos) -> (rewards (N,), {term: (N,)})``."""

    def __call__(self, inputs: list[Any], infos: list[dict]) -> tuple[np.ndarray, dict[str, np.ndarray]]: ...


class BatchedRewardWrapper(RewardWrapper):
    """Per-env half of a reward that a model computes for a whole batch of envs at once.

    ``step`` stores :meth:`model_input` in ``info["reward_input"]`` (absent when it is None),
    sets ``info["reward_pending"] = True`` and returns the env's reward as a placeholder; :class:`VecBatchedReward` replaces it. Subclasses implement
    :meth:`model_input` and the classmethod :meth:`make_scorer`, which receives the same
    keyword arguments as the wrapper and runs in the main process (the model is loaded there,
    once, never in env worker processes).
    """

    def model_input(self, obs: Any, info: dict, done: bool) -> Any:
        """What the scorer needs for this step (e.g. the rendered frame), or None to skip it."""
        raise NotImplementedError

    @classmethod
    def make_scorer(cls, **kwargs: Any) -> RewardScorer:
        raise NotImplementedError

    def reward(self, obs, env_reward, terminated, truncated, info):
        info[PENDING_KEY] = True
        model_input = self.model_input(obs, info, bool(terminated or truncated))
        if model_input is not None:  # absent (not None) so vector infos can stack the frames
            info[INPUT_KEY] = model_input
        return env_reward, {}


def _wrapper_class_and_kwargs(factory: Any) -> tuple[Any, dict]:
    if isinstance(factory, functools.partial):
        return factory.func, dict(factory.keywords)
    return factory, {}


def is_batched(factory: Callable | None) -> bool:
    """Whether ``factory`` (a wrapper class, a ``functools.partial`` of one, or None) is batched."""
    cls, _ = _wrapper_class_and_kwargs(factory)
    return isinstance(cls, type) and issubclass(cls, BatchedRewardWrapper)


def wrap_vec_env(venv, factory: Callable | None):
    """Adds the vector half of a batched reward on top of a stable-baselines3 ``VecEnv``.

    Args:
        venv: a VecEnv whose envs were each wrapped by ``factory``.
        factory: what ``hydra.utils.instantiate(cfg.reward)`` returned: None (ground truth),
            any callable ``env -> env`` (per-env reward), or a partial of a
            :class:`BatchedRewardWrapper` subclass.

    Returns:
        ``venv`` unchanged for per-env rewards, else a :class:`VecBatchedReward`.
    """
    if not is_batched(factory):
        return venv
    cls, kwargs = _wrapper_class_and_kwargs(factory)
    from .vec import VecBatchedReward

    return VecBatchedReward(venv, cls.make_scorer(**kwargs))


def wrap_vector_env(envs: gym.vector.VectorEnv, factory: Callable | None):
    """Gymnasium ``VectorEnv`` twin of :func:`wrap_vec_env`."""
    if not is_batched(factory):
        return envs
    cls, kwargs = _wrapper_class_and_kwargs(factory)
    from .vec import VectorBatchedReward

    return VectorBatchedReward(envs, cls.make_scorer(**kwargs))
