"""The per-env reward wrapper and the ``info`` keys every rewardgym reward writes.

Two kinds of reward exist:

* :class:`RewardWrapper` computes its reward inside one env (cheap rewards: the Gaussian
  grounding reward, the keypoint reward, the constant control).
* :class:`rewardgym.reward_wrappers.batched.BatchedReward` is a model reward (CLIP) whose model
  scores the inputs of all envs at once; see that module.

Either way the keys of ``info`` say whose number is whose:

* ``info["env_reward"]``: the env's own (ground-truth) reward of the step;
* ``info["reward_<term>"]``: the env's own ground-truth terms (Gymnasium's convention, written by
  the env, never by a wrapper);
* ``info["shaped_reward"]``: the reward the wrapper gave (what the learner trains on) and
  ``info["shaped_<term>"]`` its terms.
"""
from __future__ import annotations

from typing import Any, Mapping

import gymnasium as gym

ENV_REWARD_KEY = "env_reward"
SHAPED_REWARD_KEY = "shaped_reward"
SHAPED_PREFIX = "shaped_"


def shaped_key(term: str) -> str:
    """``info`` key of a wrapper's reward term: ``shaped_<term>``."""
    return f"{SHAPED_PREFIX}{term}"


def write_shaped(info: dict, reward: float, terms: Mapping[str, float]) -> None:
    """Puts a wrapper's reward and its terms into one env's ``info``."""
    for name, value in terms.items():
        info[shaped_key(name)] = float(value)
    info[SHAPED_REWARD_KEY] = float(reward)


class RewardWrapper(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Replaces the env's reward with :meth:`reward`; keeps the env's own in ``info["env_reward"]``.

    Subclasses validate their arguments in ``__init__`` (raising ``ValueError`` that names the
    bad value), call ``super().__init__(env, **constructor_args)`` and implement :meth:`reward`.

    Example:
        >>> class Plus1(RewardWrapper):
        ...     def reward(self, obs, env_reward, terminated, truncated, info):
        ...         return env_reward + 1.0, {"plus": 1.0}
        >>> env = Plus1(gym.make("CartPole-v1"))
        >>> _ = env.reset(seed=0)
        >>> _, r, _, _, info = env.step(0)
        >>> r, info["env_reward"], info["shaped_plus"], info["shaped_reward"]
        (2.0, 1.0, 1.0, 2.0)
    """

    def __init__(self, env: gym.Env, **constructor_args: Any):
        gym.utils.RecordConstructorArgs.__init__(self, **constructor_args)
        gym.Wrapper.__init__(self, env)

    def reward(
        self, obs: Any, env_reward: float, terminated: bool, truncated: bool, info: dict
    ) -> tuple[float, dict[str, float]]:
        """Returns ``(reward, terms)``; each term is logged as ``info["shaped_<term>"]``."""
        raise NotImplementedError

    def step(self, action):
        obs, env_reward, terminated, truncated, info = self.env.step(action)
        info = dict(info)
        info[ENV_REWARD_KEY] = float(env_reward)
        reward, terms = self.reward(obs, float(env_reward), terminated, truncated, info)
        write_shaped(info, reward, terms)
        return obs, float(reward), terminated, truncated, info
