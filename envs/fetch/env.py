"""``rewardgym/Fetch-v0``: a Gymnasium-Robotics Fetch task, unedited, as a flat-observation
Gymnasium env with rewardgym's task facts.

The simulation is Gymnasium-Robotics' own MuJoCo class of the task (``MujocoFetchPushEnv``, ...),
made by its constructor and kept as ``env.fetch``: its ``model``, ``data``, actions, reward
(``reward_type="dense"``: minus the goal distance; ``"sparse"``: -1 until within 5 cm) and success
test are Gymnasium-Robotics'. What :class:`FetchEnv` adds, without touching that code:

* one ``Box`` observation: Fetch's ``observation`` followed by its ``desired_goal`` (a
  goal-conditioned dict is what HER needs; PPO and the reward wrappers take a flat vector);
* ``reset(seed=s)`` draws the scene from this env's generator (Fetch's own, shared);
* the target site ``target0`` placed at the goal at reset: Fetch moves it only when it renders,
  so a keypoint plan naming it measured from the site's model position (0, 0, 0.5);
* ``info["success"]`` a bool (Fetch's ``is_success`` is a float), at reset too;
* frames from a named Fetch camera (``external_camera_0`` by default), made lazily;
* pickling and ``copy.deepcopy`` as the same task in the same state (the goal included);
* the task facts rewardgym's rewards read: ``keypoint_plan``, ``instruction``, ``goal_prompts``,
  ``baseline_prompts`` (from :mod:`.tasks`), and ``task``.

Example:
    >>> import gymnasium as gym, rewardgym
    >>> env = gym.make("rewardgym/Fetch-v0", task="push")            # doctest: +SKIP
    >>> obs, info = env.reset(seed=0)                                  # doctest: +SKIP
"""
from __future__ import annotations

import difflib
import importlib
from typing import Any

import gymnasium as gym
import numpy as np

from rewardgym.envs.mujoco.held_sim import HeldSimEnv
from rewardgym.envs.mujoco.pickling import StatePickle

from .tasks import FINGERS, TARGET, TASKS, TRACKED

__all__ = ["FetchEnv", "check_robotics", "resolve_task", "INSTALL"]

INSTALL = "pip install 'rewardgym[robotics]' (Gymnasium-Robotics 1.4.2 with mujoco 3.3.0)"


def check_robotics(module: str):
    """Gymnasium-Robotics' module ``gymnasium_robotics.envs.fetch.<module>``; ``ImportError`` (one
    line saying what to install) when it is missing or the installed MuJoCo is 4.x, where its Fetch
    envs fail (an AssertionError at reset)."""
    try:
        import mujoco
        mod = importlib.import_module(f"gymnasium_robotics.envs.fetch.{module}")
    except ImportError as err:
        raise ImportError(f"env=fetch_* and rewardgym/Fetch-v0 need Gymnasium-Robotics, which is not installed "
                          f"({err}): {INSTALL}") from None
    if int(mujoco.__version__.split(".")[0]) >= 4:
        raise ImportError(f"Gymnasium-Robotics 1.4.2's Fetch envs fail on mujoco {mujoco.__version__} (4.x): {INSTALL}")
    return mod


def resolve_task(task: str) -> str:
    """The task's name in :data:`TASKS` (``pick-and-place`` and ``PickAndPlace`` accepted);
    ``ValueError`` listing close names for one that does not exist."""
    if not isinstance(task, str) or not task:
        raise ValueError(f"task must be a Fetch task name such as 'push', got {task!r}")
    name = task.strip().replace("-", "_")
    name = "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_").replace("__", "_")
    if name not in TASKS:
        close = difflib.get_close_matches(name, sorted(TASKS), n=4, cutoff=0.5)
        raise ValueError(f"unknown Fetch task {task!r}; {'close names: ' + str(close) if close else ''}"
                         f"{'; ' if close else ''}tasks: {sorted(TASKS)}")
    return name


class FetchEnv(HeldSimEnv):
    """A Gymnasium-Robotics Fetch task with a flat observation and rewardgym's task facts; see the module doc.

    Args:
        task: ``reach``, ``push``, ``pick_and_place`` or ``slide``.
        reward_type: Fetch's ``"dense"`` (minus the distance to the goal) or ``"sparse"`` reward.
        render_mode: None or "rgb_array".
        camera: the Fetch camera frames are rendered from and keypoints measured in.
        width, height: frame size in pixels.

    Raises:
        ImportError: Gymnasium-Robotics missing or MuJoCo 4.x (the message says what to install).
        ValueError: an unknown task (close names listed), reward type, camera or render mode.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 25}
    held = "fetch"
    pickled_model_fields = ("site_pos",)   # target0, placed at the goal at reset

    def __init__(self, task: str = "reach", reward_type: str = "dense", render_mode: str | None = None,
                 camera: str = "external_camera_0", width: int = 128, height: int = 128):
        name = resolve_task(task)
        spec = TASKS[name]
        if reward_type not in ("dense", "sparse"):
            raise ValueError(f"reward_type must be 'dense' or 'sparse', got {reward_type!r}")
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        module = check_robotics(spec.module)
        import mujoco

        from rewardgym.envs.mujoco.checks import check_size
        from rewardgym.envs.mujoco.manipulation_tasks import KeypointPlan
        from rewardgym.envs.mujoco.rendering import camera_id

        check_size(width, height)
        self.fetch = getattr(module, spec.env_class)(reward_type=reward_type)
        self.model, self.data = self.fetch.model, self.fetch.data
        camera_id(self.model, camera)          # ValueError naming the model's cameras
        self._target = mujoco.mj_name2id(self.model, mujoco.mjtObj.mjOBJ_SITE, TARGET)
        self.task, self.reward_type = spec, reward_type
        self.render_mode, self.camera_name = render_mode, camera
        self.width, self.height = int(width), int(height)
        self.action_space = self.fetch.action_space
        spaces = self.fetch.observation_space
        size = spaces["observation"].shape[0] + spaces["desired_goal"].shape[0]
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (size,), np.float64)
        self.instruction = spec.instruction
        self.goal_prompts, self.baseline_prompts = (spec.goal,), (spec.baseline,)
        self.keypoint_plan = KeypointPlan(camera, TRACKED, spec.grasp, (TARGET,), spec.hold,
                                          FINGERS if spec.hold == "grasp" else ())
        self._renderer = None
        StatePickle.__init__(self, task=task, reward_type=reward_type, render_mode=render_mode, camera=camera,
                             width=width, height=height)

    def _flat(self, obs: dict) -> np.ndarray:
        return np.concatenate([obs["observation"], obs["desired_goal"]]).astype(np.float64)

    def _success(self, obs: dict) -> bool:
        return bool(self.fetch._is_success(obs["achieved_goal"], obs["desired_goal"]))

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        self.fetch.np_random = self.np_random
        obs, info = self.fetch.reset()
        # Fetch places target0 at its goal only when it renders (its _render_callback); place it now
        self.fetch._render_callback()
        return self._flat(obs), {**info, "success": self._success(obs)}

    def step(self, action):
        obs, reward, terminated, truncated, info = self.fetch.step(action)
        info = dict(info)
        info["success"] = bool(info.get("is_success", 0.0))
        return self._flat(obs), float(reward), bool(terminated), bool(truncated), info
