"""rewardgym's MuJoCo envs. Importing this package (which every module in it does first) picks
MuJoCo's offscreen backend before ``mujoco`` is imported: EGL, the one that works headless here
(glfw needs a display). Set ``MUJOCO_GL`` yourself beforehand to choose another. A process forked
from one that rendered gets an EGL display of its own (``egl_fork.py``)."""
import os

os.environ.setdefault("MUJOCO_GL", "egl")

from . import egl_fork  # noqa: E402,F401  (a fork hook; imports nothing heavy)
