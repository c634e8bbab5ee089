"""Pickling and ``copy.deepcopy`` of rewardgym's MuJoCo envs: constructor arguments plus state.

Gymnasium's MuJoCo envs pickle through ``gymnasium.utils.EzPickle``: the constructor's
arguments are saved and a fresh env is built from them, so ``Humanoid-v5`` comes back as the
same env but at ``time = 0``, with no RNG. :class:`StatePickle` does the same and then puts the
state back, so a pickled or deep-copied env is the same task in the same state and continues
exactly as the original would:

* every field of ``MjData`` (``mujoco.mj_copyData``: ``qpos``, ``qvel``, ``time``, controls,
  warm start, mocap bodies and the quantities derived from them, as they were);
* the model fields an env changes at run time (``pickled_model_fields``, e.g. ``body_pos``
  where a reset moves a fixed body);
* the env's RNG (``np_random``), its spaces (with their RNGs), its ``spec``, and the Python
  attributes named in ``pickled_attrs`` (e.g. a position target).

Renderers (OpenGL contexts) are never carried: the copy makes its own on its first frame.

Example:
    >>> import copy, gymnasium as gym, numpy as np, rewardgym
    >>> env = gym.make("rewardgym/Manipulation-v0", task="push")
    >>> _ = env.reset(seed=0); _ = env.step(np.ones(4))
    >>> twin = copy.deepcopy(env)
    >>> twin.unwrapped.task.name, twin.unwrapped.data.time == env.unwrapped.data.time
    ('push', True)
    >>> bool(np.array_equal(twin.step(np.ones(4))[0], env.step(np.ones(4))[0]))
    True
"""
from __future__ import annotations

from typing import Any

import mujoco
import numpy as np
from gymnasium.utils import EzPickle

__all__ = ["StatePickle", "plain_attrs", "set_attrs"]

_PLAIN = (np.ndarray, np.generic, float, int, bool, str, type(None))


# MjData arrays derived from the state by mj_forward's position and velocity stages (fixed sizes)
_DERIVED = ("xpos", "xquat", "xmat", "xipos", "ximat", "xanchor", "xaxis", "geom_xpos", "geom_xmat", "site_xpos",
            "site_xmat", "cam_xpos", "cam_xmat", "light_xpos", "light_xdir", "subtree_com", "cdof", "cinert", "cvel",
            "cdof_dot", "actuator_length", "actuator_velocity", "ten_length", "sensordata")


def _copy_data(model: mujoco.MjModel, dst: mujoco.MjData, src: mujoco.MjData) -> None:
    """Every field of ``src`` into ``dst`` (``mj_copyData``). MuJoCo 3.3's Python bindings lack it:
    there the full integration state (time, qpos, qvel, act, warm start, controls, mocap bodies,
    user data, plugin state) is copied, the derived quantities recomputed by ``mj_forward``, and
    the state set once more (``mj_forward`` moves the solver's warm start, and the next
    ``mj_step`` would then differ in the last bits). The positions and velocities derived from
    the state are then copied as ``src`` has them: after ``mj_step`` they are one step behind its
    ``qpos`` (the step computes them before it integrates), and code that reads them before the
    next step sees that (Gymnasium-Robotics' Fetch moves its mocap target from the hand's
    ``xpos``)."""
    if hasattr(mujoco, "mj_copyData"):
        mujoco.mj_copyData(dst, model, src)
        return
    spec = mujoco.mjtState.mjSTATE_INTEGRATION
    buf = np.empty(mujoco.mj_stateSize(model, spec))
    mujoco.mj_getState(model, src, buf, spec)
    mujoco.mj_setState(model, dst, buf, spec)
    mujoco.mj_forward(model, dst)
    mujoco.mj_setState(model, dst, buf, spec)
    for name in _DERIVED:
        getattr(dst, name)[...] = getattr(src, name)


def _views_mujoco(value) -> bool:
    """An array that is a view of MuJoCo's memory (of MjData or MjModel), not of a Python array."""
    base = value
    while isinstance(base, np.ndarray) and base.base is not None:
        base = base.base
    return isinstance(value, np.ndarray) and not isinstance(base, np.ndarray)


def plain_attrs(obj) -> dict[str, Any]:
    """Copies of ``obj``'s plain attributes (numbers, strings, arrays): the episode state of a
    wrapped simulator class (Meta-World's, Gymnasium-Robotics') that its constructor does not
    rebuild. Arrays that are views of MuJoCo's memory (of the ``MjData`` that :class:`StatePickle`
    restores) are left out: in the copy they stay views of its own, restored data."""
    return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(obj).items()
            if isinstance(v, _PLAIN) and not _views_mujoco(v)}


def set_attrs(obj, attrs: dict[str, Any]) -> None:
    """Puts :func:`plain_attrs`'s copies back on ``obj``."""
    for k, v in attrs.items():
        setattr(obj, k, v.copy() if isinstance(v, np.ndarray) else v)


class StatePickle(EzPickle):
    """Mixin for an env with ``model``/``data``: call ``StatePickle.__init__(self, **ctor_kwargs)``
    at the end of the env's ``__init__`` (after any base class that calls ``EzPickle.__init__``)."""

    pickled_model_fields: tuple[str, ...] = ()   # MjModel arrays the env changes after __init__
    pickled_attrs: tuple[str, ...] = ()          # Python attributes of the env's own state

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()  # the constructor's arguments
        state.update(
            mjdata=self.data,
            model_fields={name: getattr(self.model, name).copy() for name in self.pickled_model_fields},
            attrs={name: getattr(self, name) for name in self.pickled_attrs},
            np_random=self._np_random,
            np_random_seed=getattr(self, "_np_random_seed", None),
            spaces=(self.action_space, self.observation_space),
            spec=self.spec,
        )
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)  # builds a fresh env from the constructor's arguments
        for name, value in state["model_fields"].items():
            getattr(self.model, name)[...] = value
        _copy_data(self.model, self.data, state["mjdata"])
        for name, value in state["attrs"].items():
            setattr(self, name, value.copy() if isinstance(value, np.ndarray) else value)
        self._np_random, self._np_random_seed = state["np_random"], state["np_random_seed"]
        self.action_space, self.observation_space = state["spaces"]
        if state["spec"] is not None:
            self.spec = state["spec"]
