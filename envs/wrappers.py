"""Small generic env wrappers that configs put on top of an env (``wrappers:`` in a run config).

Example:
    >>> env = Subsample(gym.make("CartPole-v1", render_mode="rgb_array").unwrapped, k=4)  # doctest: +SKIP
"""
from __future__ import annotations

import gymnasium as gym
import numpy as np


class Subsample(gym.ObservationWrapper, gym.utils.RecordConstructorArgs):
    """Keeps every ``k``-th pixel along height and width of an (H, W, C) image observation
    (no filtering: cheap, and what a small CNN needs from a 160x210 screenshot).

    Args:
        env: an env whose observation space is a ``Box`` of shape (H, W, C).
        k: the stride, an integer >= 1.

    Example:
        >>> class Img(gym.Env):
        ...     observation_space = gym.spaces.Box(0, 255, (210, 160, 3), np.uint8)
        ...     action_space = gym.spaces.Discrete(2)
        >>> Subsample(Img(), k=4).observation_space.shape
        (53, 40, 3)
    """

    def __init__(self, env: gym.Env, k: int = 4):
        if isinstance(k, bool) or int(k) != k or k < 1:
            raise ValueError(f"k must be an integer >= 1, got {k!r}")
        space = env.observation_space
        if not isinstance(space, gym.spaces.Box) or len(space.shape) != 3:
            raise ValueError(f"Subsample needs an (H, W, C) Box observation space, got {space}")
        gym.utils.RecordConstructorArgs.__init__(self, k=k)
        gym.ObservationWrapper.__init__(self, env)
        self.k = int(k)
        self.observation_space = gym.spaces.Box(space.low[:: self.k, :: self.k], space.high[:: self.k, :: self.k],
                                                dtype=space.dtype)

    def observation(self, obs):
        return np.ascontiguousarray(obs[:: self.k, :: self.k])
