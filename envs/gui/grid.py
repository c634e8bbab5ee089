"""Clicks on a grid of cells: discrete point and box actions for a GUI env (a "spatial action map").

A policy that scores every cell of the screen and samples one learns where to click from direct
credit: each rewarded click raises its own cell's logit. :class:`GridClick` turns such a choice
into the env's continuous action: ``Discrete(rows * cols)`` clicks the chosen cell's centre (a
``"point"`` env); ``MultiDiscrete([rows * cols, sizes, sizes])`` sends a box centred on the cell,
its width and height from ``sizes`` geometric steps between ``min_size`` and ``max_size`` (screen
fractions), cut to the screen (a ``"box"`` env; the click is the cut box's centre).

Cells are ``cell x cell`` pixels of the env's screenshot: ``cols = width // cell``,
``rows = height // cell`` (a last partial row or column is not clickable), cell ``(r, c)`` is
index ``r * cols + c``, centred at ``((c + 0.5) * cell / width, (r + 0.5) * cell / height)``.
With :class:`rewardgym.agents.policies.InstructionFiLMExtractor` after a 2x
:class:`~rewardgym.envs.wrappers.PoolImage`, ``cell = 2 * patch`` puts the cells on the heatmap's.

Example:
    >>> env = GridClick(gym.make("rewardgym/Grounding-v0"), cell=8)
    >>> env.action_space, env.point_of(21), env.index_of(0.075, 0.057)
    (Discrete(520), (0.075, 0.05714285714285714), 21)
"""
from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces


def _screen(env: gym.Env) -> tuple[int, int]:
    space = env.unwrapped.observation_space
    shot = space["screenshot"] if isinstance(space, spaces.Dict) else space
    if not isinstance(shot, spaces.Box) or len(shot.shape) != 3:
        raise ValueError(f"GridClick needs a GUI env with a screenshot observation, got {space}")
    return int(shot.shape[1]), int(shot.shape[0])


class GridClick(gym.ActionWrapper, gym.utils.RecordConstructorArgs):
    """Discrete clicks on a grid of ``cell``-pixel cells (module docstring).

    Args:
        env: a GUI env with ``"point"`` (``Box(2,)``) or ``"box"`` (``Box(4,)``) actions.
        cell: the cells' side in screenshot pixels.
        sizes: box actions: the number of width (and height) steps.
        min_size, max_size: box actions: the smallest and largest width/height, screen fractions.
    """

    def __init__(self, env: gym.Env, cell: int = 8, sizes: int = 8, min_size: float = 0.04, max_size: float = 0.8):
        if isinstance(cell, bool) or int(cell) != cell or cell < 1:
            raise ValueError(f"cell must be an integer >= 1 (pixels), got {cell!r}")
        if isinstance(sizes, bool) or int(sizes) != sizes or sizes < 1:
            raise ValueError(f"sizes must be an integer >= 1, got {sizes!r}")
        if not 0 < min_size <= max_size <= 1:
            raise ValueError(f"need 0 < min_size <= max_size <= 1, got {min_size}, {max_size}")
        shape = getattr(env.action_space, "shape", None)
        if not isinstance(env.action_space, spaces.Box) or shape not in ((2,), (4,)):
            raise ValueError(f"GridClick needs point (Box(2,)) or box (Box(4,)) actions, got {env.action_space}")
        gym.utils.RecordConstructorArgs.__init__(self, cell=cell, sizes=sizes, min_size=min_size, max_size=max_size)
        gym.ActionWrapper.__init__(self, env)
        self.width, self.height = _screen(env)
        self.cell, self.box = int(cell), shape == (4,)
        self.cols, self.rows = self.width // self.cell, self.height // self.cell
        if self.cols < 1 or self.rows < 1:
            raise ValueError(f"cell={cell} is larger than the {self.width}x{self.height} screenshot")
        self.cells = self.cols * self.rows
        self.size_steps = np.geomspace(min_size, max_size, int(sizes)) if sizes > 1 else np.array([min_size])
        self.action_space = (spaces.MultiDiscrete([self.cells, len(self.size_steps), len(self.size_steps)])
                             if self.box else spaces.Discrete(self.cells))

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """``(x, y)`` of every cell's centre, screen fractions, in index order."""
        c, r = np.meshgrid(np.arange(self.cols), np.arange(self.rows))
        return ((c.ravel() + 0.5) * self.cell / self.width), ((r.ravel() + 0.5) * self.cell / self.height)

    def point_of(self, index) -> tuple[float, float]:
        i = int(index)
        if not 0 <= i < self.cells:
            raise ValueError(f"cell index must be in [0, {self.cells}), got {index!r}")
        r, c = divmod(i, self.cols)
        return (c + 0.5) * self.cell / self.width, (r + 0.5) * self.cell / self.height

    def index_of(self, x: float, y: float) -> int:
        """The cell holding the point ``(x, y)`` (screen fractions; the nearest cell at the clickable edge)."""
        c = min(int(float(x) * self.width // self.cell), self.cols - 1)
        r = min(int(float(y) * self.height // self.cell), self.rows - 1)
        return max(r, 0) * self.cols + max(c, 0)

    def action(self, action):
        if not self.box:
            return np.array(self.point_of(np.asarray(action).reshape(-1)[0]), dtype=np.float32)
        a = np.asarray(action).reshape(-1)
        if a.shape != (3,) or not (0 <= a[1] < len(self.size_steps) and 0 <= a[2] < len(self.size_steps)):
            raise ValueError(f"box action must be [cell, width step, height step] within {self.action_space.nvec.tolist()}"
                             f", got {action!r}")
        x, y = self.point_of(a[0])
        w, h = self.size_steps[int(a[1])], self.size_steps[int(a[2])]
        return np.clip(np.array([x - w / 2, y - h / 2, x + w / 2, y + h / 2]), 0.0, 1.0).astype(np.float32)
