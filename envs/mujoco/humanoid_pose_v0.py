"""``rewardgym/HumanoidPose-v0``: Gymnasium's MuJoCo humanoid asked to take a pose (VLM-RM tasks).

## Description
Gymnasium's ``Humanoid-v5`` model and physics (reused, not forked), with the task of taking a
pose said in words: ``stand``, ``kneel``, ``sit``, ``lotus``, ``splits``, ``arms_raised``,
``lie_down``, ``one_leg`` (``humanoid_tasks.TASKS``). VLM-RM (Rocamonde et al. 2023) trained
these from a CLIP reward and judged them by eye; here each has a geometric success test so a
model reward can be compared with the truth.

## Action Space
``Box(-0.4, 0.4, (17,))`` joint torques, as ``Humanoid-v5``. NaN/inf raise ``ValueError``.

## Observation Space
``obs_type="state"``: ``Humanoid-v5``'s 348-dim vector; ``"pixels"``: uint8 (height, width, 3)
from the side camera; ``"state+pixels"``: ``Dict(state, pixels)``.

## Rewards
The ground-truth reward is the product of the task's bounded tolerance terms (dm_control
style), in [0, 1]; 1 exactly where the success test holds. Terms in ``info["reward_<term>"]``.

## Success (``info["success"]``)
Each task's test is in the table at the end of this docstring (from ``humanoid_tasks.TASKS``).

## Starting State and Episode End
Gymnasium's standing start with uniform noise (``reset_noise_scale``), or a named pose via
``reset(options={"pose": "kneel"})``. Falling does not end the episode (a kneeling or lying
humanoid is low); the time limit (100 steps) does.

## Prompts
``env.unwrapped.goal_prompts`` / ``baseline_prompts`` (VLM-RM style, e.g. "a humanoid robot
kneeling" vs "a humanoid robot"), also in ``conf/env/humanoid_<task>.yaml``.

## Arguments
| name | default | meaning |
|---|---|---|
| task | "stand" | one of the tasks above |
| obs_type | "state" | "state", "pixels", "state+pixels" |
| render_mode | None | "rgb_array" |
| width, height | 224, 224 | frame size |
| camera_distance, camera_azimuth, camera_elevation | 2.8, 90, -10 | side view that frames the whole body, tracking the torso in x, y |
| shadows, reflections, skybox | False | MuJoCo render effects (costly on CPU) |
| reset_noise_scale | 0.01 | as Humanoid-v5 |

## Version History
* v0: initial release.
"""
from __future__ import annotations

import os

os.environ.setdefault("MUJOCO_GL", "egl")

import mujoco  # noqa: E402
import numpy as np  # noqa: E402
from gymnasium import spaces  # noqa: E402
from gymnasium.envs.mujoco.humanoid_v5 import HumanoidEnv  # noqa: E402

from .humanoid_poses import pose_qpos  # noqa: E402
from .humanoid_tasks import TASKS, _ids, measure  # noqa: E402

__doc__ += "\n## Success tests\n| task | test |\n|---|---|\n" + "\n".join(
    f"| {t.name} | {t.description} |" for t in TASKS.values())

OBS_TYPES = ("state", "pixels", "state+pixels")
FLOOR_RGBA = (0.55, 0.62, 0.55, 1.0)


class HumanoidPoseEnv(HumanoidEnv):
    __doc__ = __doc__

    def __init__(self, task: str = "stand", obs_type: str = "state", render_mode: str | None = None,
                 width: int = 224, height: int = 224, camera_distance: float = 2.8, camera_azimuth: float = 90.0,
                 camera_elevation: float = -10.0, shadows: bool = False, reflections: bool = False,
                 skybox: bool = False, reset_noise_scale: float = 1e-2, **kwargs):
        if task not in TASKS:
            raise ValueError(f"unknown task {task!r}; choose one of {sorted(TASKS)}")
        if obs_type not in OBS_TYPES:
            raise ValueError(f"obs_type must be one of {OBS_TYPES}, got {obs_type!r}")
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        super().__init__(terminate_when_unhealthy=False, reset_noise_scale=reset_noise_scale, width=width,
                         height=height, **kwargs)
        self.render_mode = render_mode  # rendering is ours (FastRenderer), not MujocoRenderer's
        self.task = TASKS[task]
        self.goal_prompts, self.baseline_prompts = list(self.task.goal_prompts), list(self.task.baseline_prompts)
        self.obs_type, self.width, self.height = obs_type, width, height
        self.render_flags = dict(shadows=shadows, reflections=reflections, skybox=skybox)
        self.cam = mujoco.MjvCamera()
        self.cam.type = mujoco.mjtCamera.mjCAMERA_FREE
        self.cam.distance, self.cam.azimuth, self.cam.elevation = camera_distance, camera_azimuth, camera_elevation
        floor = mujoco.mj_name2id(self.model, mujoco.mjtObj.mjOBJ_GEOM, "floor")
        if floor >= 0:
            self.model.geom_matid[floor] = -1
            self.model.geom_rgba[floor] = FLOOR_RGBA
        self._ids = _ids(self.model)
        self._fast = None
        state = self.observation_space
        pixels = spaces.Box(0, 255, (height, width, 3), np.uint8)
        self.observation_space = {"state": state, "pixels": pixels,
                                  "state+pixels": spaces.Dict({"state": state, "pixels": pixels})}[obs_type]

    def measurements(self) -> dict[str, float]:
        """Named geometry of the current pose (see ``humanoid_tasks.measure``)."""
        return measure(self.model, self.data, self._ids)

    def set_pose(self, qpos: np.ndarray) -> None:
        """Sets the joint configuration (zero velocity) and recomputes the kinematics."""
        self.set_state(np.asarray(qpos, dtype=np.float64), np.zeros(self.model.nv))

    def reset(self, *, seed=None, options=None):
        obs, info = super().reset(seed=seed, options=options)
        if options and options.get("pose"):
            self.set_pose(pose_qpos(self.model, options["pose"]))
            obs = self._get_obs()
        return self._observe(obs), self._task_info()[1]

    def step(self, action):
        a = np.asarray(action, dtype=np.float64)
        if a.shape != self.action_space.shape or not np.all(np.isfinite(a)):
            raise ValueError(f"action must be {self.action_space.shape[0]} finite numbers, got {action!r}")
        obs, _, _, _, _ = super().step(a)
        reward, info = self._task_info()
        return self._observe(obs), reward, False, False, info

    def _task_info(self) -> tuple[float, dict]:
        m = self.measurements()
        reward, terms = self.task.reward(m)
        info = {f"reward_{k}": v for k, v in terms.items()}
        info["success"] = bool(self.task.success(m))
        return reward, info

    def _observe(self, state):
        if self.obs_type == "state":
            return state
        pixels = self._render_frame()
        return pixels if self.obs_type == "pixels" else {"state": state, "pixels": pixels}

    def _render_frame(self) -> np.ndarray:
        if self._fast is None:
            from .rendering import FastRenderer

            self._fast = FastRenderer(self.model, self.width, self.height, self.cam, **self.render_flags)
        torso = self.data.xpos[self._ids["torso"]]
        self.cam.lookat[:] = (torso[0], torso[1], 0.8)
        return self._fast.render(self.data)

    def render(self):
        return self._render_frame() if self.render_mode == "rgb_array" else None

    def close(self):
        if self._fast is not None:
            self._fast.close()
            self._fast = None
        super().close()
