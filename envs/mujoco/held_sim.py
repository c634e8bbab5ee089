"""Base of the envs that hold a peer project's MuJoCo env unedited (Meta-World's, Gymnasium-Robotics'
Fetch): a lazy renderer of the held model, and pickling that carries the held env's episode state."""
from __future__ import annotations

from typing import Any

import gymnasium as gym

from .pickling import StatePickle, plain_attrs, set_attrs

__all__ = ["HeldSimEnv"]


class HeldSimEnv(gym.Env, StatePickle):
    """An env holding another project's MuJoCo env as ``getattr(self, held)``, with its ``model``
    and ``data`` as this env's. Subclasses set ``held``, ``model``, ``data``, ``render_mode``,
    ``camera_name``, ``width``, ``height`` and ``_renderer = None`` in ``__init__`` and end it with
    ``StatePickle.__init__(self, **constructor_args)``.

    * ``render()``: frames of ``camera_name``, the renderer made on the first frame (an OpenGL
      context made before torch is imported can crash that import: Mesa's LLVM beside triton's);
    * pickling and ``copy.deepcopy``: the constructor's arguments, the MuJoCo state
      (:class:`StatePickle`) and the held env's plain attributes (its episode state: goal, scene),
      leaving out arrays that are views of MuJoCo's memory, which stay views of the copy's own
      restored data; the held env shares this env's generator.
    """

    held: str = ""

    def render(self):
        if self.render_mode != "rgb_array":
            return None
        if self._renderer is None:
            from .rendering import FastRenderer

            self._renderer = FastRenderer(self.model, self.width, self.height, self.camera_name)
        return self._renderer.render(self.data)

    def close(self):
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

    def __getstate__(self) -> dict[str, Any]:
        state = StatePickle.__getstate__(self)
        state["held_attrs"] = plain_attrs(getattr(self, self.held))
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        StatePickle.__setstate__(self, state)
        inner = getattr(self, self.held)
        set_attrs(inner, state["held_attrs"])
        inner.np_random = self.np_random
