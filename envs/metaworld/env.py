"""``rewardgym/MetaWorld-v0``: a Meta-World v3 task, unedited, with rewardgym's task facts attached.

The env is Meta-World's own goal-observable class of the task (``ALL_V3_ENVIRONMENTS_GOAL_OBSERVABLE``:
the goal's position is in the observation, as in single-task RL with learned rewards), made by
Meta-World's constructor. :class:`MetaWorldEnv` wraps it and adds, without touching its code:

* ``randomize=True``: object and goal positions drawn anew at every reset from the task's own
  range, from the env's seeded generator (``reset(seed=s)`` gives the same scene for the same
  ``s``); Meta-World's goal-observable class alone freezes them after its first reset;
* the target sites (``goal``, ...) placed at reset (Meta-World places them after each step, so at
  reset they stood at the previous episode's goal);
* ``info["success"]`` as a bool (Meta-World's own test, unchanged; it reports a float);
* frames from a named Meta-World camera rendered upright: the model's ``corner*`` cameras are
  defined upside down (their up axis points at the floor), so those are turned half a turn about
  their viewing axis in the model at construction; pixels and projections stay consistent;
* ``env.unwrapped.keypoint_plan``, ``instruction``, ``goal_prompts``, ``baseline_prompts``
  (from :mod:`.tasks`), which the keypoint and CLIP rewards read, as on rewardgym's own tasks.

The reward is Meta-World's own dense reward (v2 reward functions, 0 to 10 per step).

Example:
    >>> import gymnasium as gym, rewardgym
    >>> env = gym.make("rewardgym/MetaWorld-v0", task="push")        # doctest: +SKIP
    >>> obs, info = env.reset(seed=0)                                  # doctest: +SKIP
"""
from __future__ import annotations

import difflib
from typing import Any

import gymnasium as gym
import numpy as np

from .tasks import FINGERS, TASKS, TRACKED

__all__ = ["MetaWorldEnv", "resolve_task", "check_metaworld", "METAWORLD_MUJOCO"]

METAWORLD_MUJOCO = "3.3"  # Meta-World 3.1.1 pins mujoco==3.3.0 and fails at reset on MuJoCo 4.x
INSTALL = "pip install 'rewardgym[metaworld]' (Meta-World 3.1.1 with mujoco 3.3.0)"


def check_metaworld():
    """Meta-World's dict of goal-observable v3 env classes; ``ImportError`` (one line saying what
    to install) when Meta-World is missing or the installed MuJoCo is one it cannot run on."""
    try:
        import metaworld.env_dict as env_dict
    except ImportError as err:
        raise ImportError(f"env=mw_* and rewardgym/MetaWorld-v0 need Meta-World, which is not installed ({err}): "
                          f"{INSTALL}") from None
    import mujoco

    if not mujoco.__version__.startswith(METAWORLD_MUJOCO + "."):
        raise ImportError(f"Meta-World 3.1.1 runs on mujoco {METAWORLD_MUJOCO}.x, this environment has mujoco "
                          f"{mujoco.__version__} (on 4.x its reset fails): {INSTALL}")
    return env_dict.ALL_V3_ENVIRONMENTS_GOAL_OBSERVABLE


def resolve_task(task: str, known=None) -> str:
    """Meta-World's env name (``push-v3``) of a task named ``push``, ``push-v3`` or ``push_v3``;
    ``ValueError`` listing close names for one that does not exist."""
    if not isinstance(task, str) or not task:
        raise ValueError(f"task must be a Meta-World task name such as 'push', got {task!r}")
    name = task.strip().replace("_", "-")
    name = name[:-3] if name.endswith("-v3") else name
    names = sorted(known) if known is not None else sorted(TASKS)
    if name not in names:
        close = difflib.get_close_matches(name, names, n=5, cutoff=0.5)
        hint = f"close names: {close}" if close else f"tasks: {names}"
        raise ValueError(f"unknown Meta-World task {task!r}; {hint}")
    return f"{name}-v3"


def _turn_upside_down_cameras(model) -> list[str]:
    """Turns the model's cameras whose up axis points down half a turn about their viewing axis
    (their frames come out upright); returns their names."""
    import mujoco

    data = mujoco.MjData(model)
    mujoco.mj_kinematics(model, data)
    mujoco.mj_camlight(model, data)
    turned = []
    half_turn = np.array([0.0, 0.0, 0.0, 1.0])   # pi about the camera's own z (its viewing axis)
    for i in range(model.ncam):
        up = data.cam_xmat[i].reshape(3, 3)[:, 1]   # the image's up direction, in the world
        if up[2] < -0.1:
            quat = np.zeros(4)
            mujoco.mju_mulQuat(quat, model.cam_quat[i].copy(), half_turn)
            model.cam_quat[i] = quat
            turned.append(mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_CAMERA, i))
    return turned


class MetaWorldEnv(gym.Wrapper):
    """A Meta-World v3 task (goal observable) with rewardgym's task facts; see the module doc.

    Args:
        task: a task of :data:`rewardgym.envs.metaworld.tasks.TASKS` (``push``, ``drawer-open``,
            ...; ``_`` for ``-`` and a ``-v3`` suffix are accepted). Other Meta-World v3 tasks run
            too (``task`` any name Meta-World knows) but have no keypoint plan or prompts.
        render_mode: None or "rgb_array".
        camera: the Meta-World camera frames are rendered from and keypoints measured in.
        width, height: frame size in pixels.
        randomize: object and goal positions drawn at every reset (False: Meta-World's
            goal-observable behaviour, one scene per seed).

    Raises:
        ImportError: Meta-World missing, or a MuJoCo it does not run on (the message says what to install).
        ValueError: an unknown task (close names listed), camera or render mode.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 80}

    def __init__(self, task: str = "reach", render_mode: str | None = None, camera: str = "corner",
                 width: int = 128, height: int = 128, randomize: bool = True):
        classes = check_metaworld()
        known = {k[: -len("-v3-goal-observable")] for k in classes}
        name = resolve_task(task, known)
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        env = classes[f"{name}-goal-observable"](seed=None)
        super().__init__(env)
        import mujoco

        from rewardgym.envs.mujoco.rendering import camera_id

        base = env.unwrapped
        camera_id(base.model, camera)          # ValueError naming the model's cameras
        self.turned_cameras = _turn_upside_down_cameras(base.model)
        mujoco.mj_forward(base.model, base.data)
        self.task_name = name[:-3]
        base.metaworld_task = name             # rewardgym.envs.experts: Meta-World's scripted policy of it
        base.render_mode = render_mode         # Wrapper.render_mode reads it
        self.randomize = bool(randomize)
        base._freeze_rand_vec = not self.randomize
        base.seeded_rand_vec = True            # draws from base.np_random, seeded by reset(seed=...)
        # the task facts rewardgym's rewards read (attributes of this instance; Meta-World's code unchanged)
        base.width, base.height, base.camera_name = int(width), int(height), camera
        spec = TASKS.get(self.task_name)
        if spec is not None:
            from rewardgym.envs.mujoco.manipulation_tasks import KeypointPlan

            base.instruction = spec.instruction
            base.goal_prompts, base.baseline_prompts = (spec.goal,), (spec.baseline,)
            base.keypoint_plan = KeypointPlan(camera, TRACKED, spec.grasp, spec.waypoints, spec.hold,
                                              FINGERS if spec.hold == "grasp" else ())
        self._renderer = None   # made on the first render: an OpenGL context made before torch is imported
        self._size = (int(width), int(height))   # can crash that import (Mesa's LLVM vs triton's)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        if seed is not None:
            self.env.unwrapped.seed(seed)
        obs, info = self.env.reset()
        # Meta-World places its target sites (``goal``...) after each step, not at reset: until the
        # first step they stand where the previous episode's goal was. Place them now, as its step does.
        base = self.env.unwrapped
        for name, pos in base._target_site_config:
            base._set_pos_site(name, pos)
        return obs, {**info, "success": False}

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        info = dict(info)
        info["success"] = bool(info.get("success", 0.0))
        return obs, float(reward), bool(terminated), bool(truncated), info

    def render(self):
        if self.render_mode != "rgb_array":
            return None
        if self._renderer is None:
            from rewardgym.envs.mujoco.rendering import FastRenderer

            self._renderer = FastRenderer(self.env.unwrapped.model, *self._size, self.env.unwrapped.camera_name)
        return self._renderer.render(self.env.unwrapped.data)

    def close(self):
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
        super().close()
