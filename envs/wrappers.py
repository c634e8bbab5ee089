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


class PoolImage(gym.ObservationWrapper, gym.utils.RecordConstructorArgs):
    """Averages ``k x k`` blocks of an (H, W, C) uint8 image observation, or of the image under
    ``key`` of a ``Dict`` observation (a screenshot beside an instruction). Unlike
    :class:`Subsample` it keeps thin strokes (text) as grey; the edge rows and columns that do
    not fill a block are dropped.

    Args:
        env: an env whose observation (or its ``key``) is a uint8 ``Box`` of shape (H, W, C).
        k: the block size, an integer >= 1.
        key: the image's key in a ``Dict`` observation; ``None`` for an image observation.

    Example:
        >>> class Shot(gym.Env):
        ...     observation_space = gym.spaces.Dict({"screenshot": gym.spaces.Box(0, 255, (210, 160, 3), np.uint8),
        ...                                          "instruction": gym.spaces.Text(64)})
        ...     action_space = gym.spaces.Discrete(2)
        >>> PoolImage(Shot(), k=2, key="screenshot").observation_space["screenshot"].shape
        (105, 80, 3)
    """

    def __init__(self, env: gym.Env, k: int = 2, key: str | None = None):
        if isinstance(k, bool) or int(k) != k or k < 1:
            raise ValueError(f"k must be an integer >= 1, got {k!r}")
        space = env.observation_space
        image = space.spaces.get(key) if isinstance(space, gym.spaces.Dict) and key is not None else \
            (space if key is None else None)
        if not isinstance(image, gym.spaces.Box) or len(image.shape) != 3 or image.dtype != np.uint8:
            raise ValueError(f"PoolImage needs a uint8 (H, W, C) Box observation{f' under key {key!r}' if key else ''}, "
                             f"got {space}")
        gym.utils.RecordConstructorArgs.__init__(self, k=k, key=key)
        gym.ObservationWrapper.__init__(self, env)
        self.k, self.key = int(k), key
        h, w, c = image.shape
        pooled = gym.spaces.Box(0, 255, (h // self.k, w // self.k, c), np.uint8)
        if key is None:
            self.observation_space = pooled
        else:
            self.observation_space = gym.spaces.Dict({**space.spaces, key: pooled})

    def _pool(self, img: np.ndarray) -> np.ndarray:
        k = self.k
        h, w = img.shape[0] // k, img.shape[1] // k
        total = np.zeros((h, w, img.shape[2]), np.uint32)
        for dy in range(k):  # k * k strided adds: much faster than a reshape-and-sum in numpy
            for dx in range(k):
                total += img[dy: h * k: k, dx: w * k: k]
        return (total + (k * k) // 2) // (k * k)

    def observation(self, obs):
        if self.key is None:
            return self._pool(obs).astype(np.uint8)
        return {**obs, self.key: self._pool(obs[self.key]).astype(np.uint8)}
