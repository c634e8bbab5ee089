"""``rewardgym/HumanoidPose-v0``: Gymnasium's MuJoCo humanoid asked to take a pose (VLM-RM tasks).

## Description
Gymnasium's ``Humanoid-v5`` model and physics (reused, not forked), with the task of taking a
pose said in words: ``stand``, ``kneel``, ``sit``, ``lotus``, ``splits``, ``arms_raised``,
``lie_down``, ``one_leg`` (``humanoid_tasks.TASKS``). VLM-RM (Rocamonde et al. 2023) trained
these from a CLIP reward and judged them by eye; here each has a geometric success test so a
model reward can be compared with the truth.

## Action Space
``Box(-0.4, 0.4, (17,), float32)``: torques of the 17 motors, as ``Humanoid-v5`` (same order,
same gears). NaN/inf entries raise ``ValueError``; a wrong shape raises ``ValueError``.

## Observation Space
| obs_type | space |
|---|---|
| "state" (default) | ``Humanoid-v5``'s ``Box(-inf, inf, (348,), float64)`` (qpos without x, y; qvel; cinert; cvel; qfrc_actuator; cfrc_ext) |
| "pixels" | ``Box(0, 255, (height, width, 3), uint8)`` from the side camera |
| "state+pixels" | ``Dict(state=..., pixels=...)`` |

## Rewards
The ground-truth reward is the product of the task's bounded tolerance terms
(``humanoid_tasks.tolerance``: 1 inside the bounds, exponential fall-off to 0.1 at ``margin``
outside, dm_control style), so it is in [0, 1] and equals 1 exactly where the success test
holds. Each term is in ``info["reward_<term>"]`` (e.g. kneel: ``knees_down``, ``upright``,
``head_mid``). ``Humanoid-v5``'s locomotion reward is not computed.

## Success (``info["success"]``)
Each task's test is in the table at the end of this docstring (from ``humanoid_tasks.TASKS``).

## Starting State and Episode End
Gymnasium's standing start with uniform noise (``reset_noise_scale``), a named pose of
``humanoid_poses.POSES`` via ``reset(options={"pose": "kneel"})``, or any configuration via
``reset(options={"qpos": q})``. ``terminated`` is always False: falling does not end the
episode (a kneeling or lying humanoid is low); the time limit (100 steps = 1.5 s) does.

## Ground truth on any state
``task_metrics()`` (named geometry: head/pelvis/knee/foot/hand heights, upright, leg spread,
...), ``satisfied_tasks()`` (which tasks' tests hold) and ``set_pose(qpos)`` (zero velocity,
``mj_forward``) label any state, e.g. frames rendered for training a reward model.

## Prompts (task facts)
``env.unwrapped.goal_prompts`` / ``baseline_prompts``: lists of VLM-RM sentences, e.g. ["a
humanoid robot kneeling"] vs ["a humanoid robot"] (each task's goal prompt is in the table at
the end of this docstring). They are written once, in ``humanoid_tasks.TASKS``; ``reward=clip``
and the bundled CLIP's captions read them from there, and a Hydra env YAML may override them
(``prompts: {goal: [...], baseline: [...]}``) but need not repeat them.

## Arguments
| name | default | meaning |
|---|---|---|
| task | "stand" | one of the tasks above |
| obs_type | "state" | "state", "pixels", "state+pixels" |
| render_mode | None | "rgb_array" |
| width, height | 224, 224 | frame size |
| camera_distance, camera_azimuth, camera_elevation, camera_height | 3.2, 90, -10, 0.9 | side view framing the whole body (also arms up, splits), following the torso in x, y |
| shadows, reflections, skybox | False | MuJoCo render effects (costly on CPU) |
| reset_noise_scale | 0.01 | as Humanoid-v5 |
| **kwargs | | passed to ``Humanoid-v5`` (e.g. ``frame_skip``); its reward weights have no effect |

## Version History
* v0: initial release.
"""
from __future__ import annotations

import mujoco
import numpy as np
from gymnasium import spaces
from gymnasium.envs.mujoco.humanoid_v5 import HumanoidEnv

from .humanoid_poses import pose_qpos
from .humanoid_tasks import TASKS, _ids, measure, satisfied
from .checks import check_env_args
from .pickling import StatePickle
from .rendering import FastRenderer, FreeCamera, SizedFrames

__doc__ += "\n## Success tests and goal prompts\n| task | test | goal prompt |\n|---|---|---|\n" + "\n".join(
    f"| {t.name} | {t.description} | {'; '.join(t.goal_prompts)} |" for t in TASKS.values())

FLOOR_RGBA = (0.55, 0.62, 0.55, 1.0)
FLOOR_GRID = 1.0  # metres between the floor's rendering grid lines (Humanoid-v5: 0.125)


class HumanoidPoseEnv(StatePickle, SizedFrames, HumanoidEnv):
    __doc__ = __doc__
    metadata = {"render_modes": ["rgb_array"], "render_fps": 67}  # 1 / (0.003 s * frame_skip 5)

    def __init__(self, task: str = "stand", obs_type: str = "state", render_mode: str | None = None,
                 width: int = 224, height: int = 224, camera_distance: float = 3.2, camera_azimuth: float = 90.0,
                 camera_elevation: float = -10.0, camera_height: float = 0.9, shadows: bool = False,
                 reflections: bool = False, skybox: bool = False, reset_noise_scale: float = 1e-2, **kwargs):
        check_env_args(task, TASKS, obs_type, render_mode, width, height)
        super().__init__(terminate_when_unhealthy=False, reset_noise_scale=reset_noise_scale, width=width,
                         height=height, **kwargs)
        self.render_mode = render_mode  # rendering is ours (FastRenderer), not MujocoRenderer's
        self.metadata = {"render_modes": ["rgb_array"], "render_fps": int(np.round(1.0 / self.dt))}
        self.task = TASKS[task]
        self.goal_prompts, self.baseline_prompts = list(self.task.goal_prompts), list(self.task.baseline_prompts)
        # the other poses' sentences: the classes of reward.contrast=true
        self.contrast_prompts = [p for t in TASKS.values() if t.name != self.task.name for p in t.goal_prompts]
        self.obs_type, self.width, self.height = obs_type, width, height
        self.render_flags = dict(shadows=shadows, reflections=reflections, skybox=skybox)
        # side view, looking along +y at the torso (x, y followed; height fixed so the floor stays put)
        self.camera = FreeCamera(lookat=(0.0, 0.0, camera_height), distance=camera_distance,
                                 azimuth=camera_azimuth, elevation=camera_elevation, track_body="torso")
        floor = mujoco.mj_name2id(self.model, mujoco.mjtObj.mjOBJ_GEOM, "floor")
        if floor >= 0:  # plain light floor instead of the dark checker (the body stands out; cheaper)
            self.model.geom_matid[floor] = -1
            self.model.geom_rgba[floor] = FLOOR_RGBA
            # A plane's third size is only its rendering grid (collision is infinite). Humanoid-v5's
            # 0.125 m makes a 320x320-quad floor that costs half of every frame under software
            # OpenGL; 1 m draws the untextured floor the same (a few pixels where the body meets
            # it differ) at half the cost.
            self.model.geom_size[floor, 2] = FLOOR_GRID
        self._ids = _ids(self.model)
        self._fast = None
        state = self.observation_space
        pixels = spaces.Box(0, 255, (height, width, 3), np.uint8)
        self.observation_space = {"state": state, "pixels": pixels,
                                  "state+pixels": spaces.Dict({"state": state, "pixels": pixels})}[obs_type]
        # pickled as our own arguments (not Humanoid-v5's) plus the physics state and RNG
        StatePickle.__init__(self, task=task, obs_type=obs_type, render_mode=render_mode, width=width, height=height,
                             camera_distance=camera_distance, camera_azimuth=camera_azimuth,
                             camera_elevation=camera_elevation, camera_height=camera_height, shadows=shadows,
                             reflections=reflections, skybox=skybox, reset_noise_scale=reset_noise_scale, **kwargs)

    # --- ground truth, usable on any state (e.g. to label rendered frames) ---
    def task_metrics(self) -> dict[str, float]:
        """Named geometry of the current pose (keys in ``humanoid_tasks.measure``)."""
        return measure(self.model, self.data, self._ids)

    measurements = task_metrics

    def satisfied_tasks(self) -> dict[str, bool]:
        """For every task in ``TASKS``: does its success test hold in the current state?"""
        return satisfied(self.task_metrics())

    def set_pose(self, qpos: np.ndarray) -> None:
        """Sets the joint configuration ``qpos`` (``nq`` numbers), zero velocity, ``mj_forward``."""
        qpos = np.asarray(qpos, dtype=np.float64)
        if qpos.shape != (self.model.nq,) or not np.all(np.isfinite(qpos)):
            raise ValueError(f"qpos must be {self.model.nq} finite numbers, got shape {qpos.shape}")
        self.set_state(qpos, np.zeros(self.model.nv))

    def reset(self, *, seed=None, options=None):
        """Gymnasium's noisy standing start; ``options={"pose": name}`` starts in a named pose of
        ``humanoid_poses.POSES``, ``options={"qpos": array}`` in a given configuration."""
        obs, _ = super().reset(seed=seed, options=options)
        options = options or {}
        if options.get("pose") is not None:
            self.set_pose(pose_qpos(self.model, options["pose"]))
        elif options.get("qpos") is not None:
            self.set_pose(options["qpos"])
        if options.get("pose") is not None or options.get("qpos") is not None:
            obs = self._get_obs()
        return self._observe(obs), self._task_info()[1]

    def step(self, action):
        a = np.asarray(action, dtype=np.float64)
        if a.shape != self.action_space.shape:
            raise ValueError(f"action must have shape {self.action_space.shape}, got {a.shape}")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"action must be finite (no NaN/inf), got {action!r}")
        self.do_simulation(a, self.frame_skip)  # Humanoid-v5's physics, without its locomotion reward
        reward, info = self._task_info()
        return self._observe(self._get_obs()), reward, False, False, info

    def _task_info(self) -> tuple[float, dict]:
        reward, terms, success = self.task.evaluate(self.task_metrics())
        info = {f"reward_{k}": v for k, v in terms.items()}
        info["success"] = success
        return reward, info

    def _observe(self, state):
        if self.obs_type == "state":
            return state
        pixels = self._render_frame()
        return pixels if self.obs_type == "pixels" else {"state": state, "pixels": pixels}

    def _render_frame(self) -> np.ndarray:
        if self._fast is None:  # one renderer per env, created on first use
            self._fast = FastRenderer(self.model, self.width, self.height, self.camera, **self.render_flags)
        return self._fast.render(self.data)

    def render(self):
        """uint8 (height, width, 3) frame from the side camera when ``render_mode="rgb_array"``."""
        return self._render_frame() if self.render_mode == "rgb_array" else None

    def _frame_camera(self):
        return self.camera

    def close(self):
        self._close_sized_frames()
        if self._fast is not None:
            self._fast.close()
            self._fast = None
        super().close()
