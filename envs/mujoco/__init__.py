"""rewardgym's MuJoCo envs. Importing this package (which every module in it does first) picks
MuJoCo's offscreen backend before ``mujoco`` is imported: EGL, the one that works headless here
(glfw needs a display). Set ``MUJOCO_GL`` yourself beforehand to choose another."""
import os

os.environ.setdefault("MUJOCO_GL", "egl")
