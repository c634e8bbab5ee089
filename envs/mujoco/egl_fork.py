"""MuJoCo's EGL rendering in a process forked from one that already rendered.

Mesa's software OpenGL (llvmpipe, what these machines have) draws with a pool of threads that
belongs to the EGL display. A forked child inherits the display's state but not its threads, so
its first frame waits for them forever: measured, Gymnasium's ``AsyncVectorEnv`` with Linux's
default ``fork`` start method hung in ``mujoco.Renderer`` when the parent had rendered before.

In such a child this module gives MuJoCo an EGL display that no ancestor initialized (Mesa's
surfaceless platform when the parent used MuJoCo's device display: a separate llvmpipe screen
with threads of its own, the same pixels); :class:`~.rendering.FastRenderer` makes its renderer
again there. The parent's contexts are never freed from the child (that would wait for the same
threads). A child of a child that rendered on both displays gets a ``RuntimeError`` saying to use
the ``forkserver`` or ``spawn`` start method.

Importing this module imports nothing heavy; ``rewardgym.envs.mujoco`` imports it first.
"""
from __future__ import annotations

import os
import sys

SURFACELESS = 0x31DD                       # EGL_PLATFORM_SURFACELESS_MESA
_state = {"platform": "device", "used": set()}  # this process's display; those ancestors initialized
_inherited: list = []                      # the parent's displays: kept, never terminated here


def _fresh_display():
    """An initialized EGL display on a platform no ancestor of this process initialized."""
    from mujoco import egl
    from mujoco.egl import egl_ext as EGL

    if "device" not in _state["used"]:
        _state["platform"] = "device"
        return egl.__dict__["_rewardgym_device_display"]()
    if "surfaceless" in _state["used"]:
        raise RuntimeError("MuJoCo rendering: this process was forked from processes that rendered on both of "
                           "Mesa's EGL displays (device and surfaceless); their render threads do not exist here. "
                           "Use the 'forkserver' or 'spawn' start method (e.g. gym.make_vec(..., "
                           "vector_kwargs={'context': 'forkserver'})).")
    display = EGL.eglGetPlatformDisplayEXT(SURFACELESS, EGL.EGL_DEFAULT_DISPLAY, None)
    if display == EGL.EGL_NO_DISPLAY or EGL.eglInitialize(display, None, None) != EGL.EGL_TRUE:
        raise RuntimeError("MuJoCo rendering in a forked process: Mesa's surfaceless EGL display is not available "
                           "here; use the 'forkserver' or 'spawn' start method")
    _state["platform"] = "surfaceless"
    return display


def _after_fork_in_child() -> None:
    egl = sys.modules.get("mujoco.egl")
    if egl is None or getattr(egl, "EGL_DISPLAY", None) is None:
        return  # the parent never rendered with EGL: nothing was inherited
    _state["used"] = _state["used"] | {_state["platform"]}
    _inherited.append(egl.EGL_DISPLAY)
    egl.EGL_DISPLAY = None  # MuJoCo's next GLContext asks for a display again: ours
    if "_rewardgym_device_display" not in egl.__dict__:
        egl._rewardgym_device_display = egl.create_initialized_egl_device_display
    egl.create_initialized_egl_device_display = _fresh_display


os.register_at_fork(after_in_child=_after_fork_in_child)
