"""``rewardgym/Manipulation-v0``: table-top tasks for a Cartesian two-finger gripper.

## Description
A gripper moves above a table (no arm: three slide joints with position servos, gravity
compensated, two coupled fingers). Tasks: ``reach``, ``push``, ``pick_place``, ``stack``,
``drawer_open``, ``button_press`` (see ``manipulation_tasks.TASKS``). Objects and goals are
placed at random per seed. The scene is rewardgym's own MJCF (``assets/manipulation``).

## Action Space
``Box(-1, 1, (4,))``: ``dx, dy, dz`` move the gripper's position target by up to
``action_scale`` metres per step; the 4th entry closes (+1) or opens (-1) the fingers.
Finite values outside [-1, 1] are clipped to it; NaN or infinite actions raise ``ValueError``.

## Observation Space
``obs_type="state"`` (default): ``Box(-inf, inf, (17,), float64)``: gripper position (3),
finger closure (1), object position (3), object minus gripper (3), goal position (3),
goal minus gripper (3), task joint (drawer/button travel, 1). Absent objects read as zeros.
``obs_type="pixels"``: uint8 ``(height, width, 3)`` from ``camera``; ``"state+pixels"``: a Dict.

## Rewards
The ground-truth dense reward in [0, 1] is a weighted sum of bounded ``tolerance`` terms
(1 inside the bound, fall-off to 0.1 at ``margin``: Gaussian, or linear where marked), each in ``info["reward_<term>"]``:

| task | reward | terms (bound, margin) |
|---|---|---|
| reach | ``near_goal`` | grip-goal distance (1 cm, 30 cm, linear fall-off) |
| push | ``0.2 near_object + 0.8 object_at_goal`` | grip-cube (2 cm, 30 cm); cube-pad xy (2 cm, 30 cm) |
| pick_place, stack | ``0.2 near_object + 0.8 object_at_goal`` | grip-cube; cube-goal 3D (2 cm, 30 cm) |
| drawer_open | ``0.2 near_handle + 0.8 drawer_open`` | grip-handle (1.5 cm, 30 cm); travel >= 12 cm |
| button_press | ``0.3 near_button + 0.7 pressed`` | grip-cap top (2 cm, 30 cm); travel >= 10 mm |

## Success
``info["success"]`` (every step, also from ``reset``): reach: grip within 5 cm of the goal; push:
cube within 4 cm of the pad (xy); pick_place: cube within 4 cm of the goal in the air; stack:
red cube within 1.5 cm of its place on the blue cube, fingers released; drawer_open: drawer
pulled out > 12 cm; button_press: button pushed down > 10 mm.

## Starting State
The gripper starts open at a uniform offset in [-0.1, 0.1] x [-0.1, 0.1] x [0, 0.1] m from its
rest point (0, 0, 0.55); cubes, goals, the drawer and the button are placed uniformly on the
table (cube and goal >= 10 cm apart). All randomness comes from ``reset(seed=...)``'s RNG.

## Episode End
Never terminates (success does not end the episode); truncated by the time limit registered
with the id (100 steps; ``conf/env/manip_<task>.yaml`` uses 50 for reach and button_press).

## Task facts: instruction, prompts, keypoint plan
Each task's facts are written once, in ``manipulation_tasks.TASKS``, and read from the env by
rewards, tools and docs (a Hydra env YAML may override them, it need not repeat them):

| attribute of ``env.unwrapped`` | what | e.g. drawer_open |
|---|---|---|
| ``instruction`` | the task in words (a VLM keypoint proposer's prompt) | "open the drawer" |
| ``goal_prompts`` | VLM-RM goal sentences (``reward=clip``) | ["an open drawer"] |
| ``baseline_prompts`` | VLM-RM baseline sentences | ["a robot gripper above a table"] |
| ``keypoint_plan`` | ``KeypointPlan(camera, tracked, grasp, waypoints, hold, fingers)`` for ``reward=keypoint``; ``camera`` is the env's ``camera`` argument | ("front", "gripper", "handle", ("drawer_open",), "contact", FINGERS) |

``keypoints()`` returns named world points (metres):

| task | keypoints | grasp (``task.grasp_keypoint``) | waypoints (``task.waypoints``) | goal prompt |
|---|---|---|---|---|
| reach | gripper, goal | None | [goal] | a robot gripper at the green ball |
| push | gripper, object, lift, goal | object | [goal] | a red cube on the green pad |
| pick_place, stack | gripper, object, lift, goal | object | [lift, goal] | a red cube lifted at the green ball; a red cube stacked on a blue cube |
| drawer_open | gripper, handle, drawer_open | handle | [drawer_open] | an open drawer |
| button_press | gripper, button, button_pressed | None | [button, button_pressed] | a pressed red button |

``gripper`` is the point between the fingertips, ``object`` the red cube's centre, ``lift`` 12 cm
above the cube's start, ``goal`` the target (for stack: the red cube's place on the blue one),
``drawer_open`` where the handle is with the drawer 15 cm out, ``button_pressed`` the cap top
pushed in. The tracked point is the ``gripper`` (it carries the object after the grasp). The
plan: reach ``grasp_keypoint`` first (if any), then pass through ``waypoints`` in order. The plan's
``hold`` says how the grasp stage completes: ``"grasp"`` (pick_place, stack) while the fingers
are closed (``fingers_closed``: at least ``FINGERS_CLOSED`` = 4 mm of travel) with both fingers
touching the cube from opposite sides, ``"contact"`` (push: the cube is pushed; drawer_open: the
handle is hooked by open fingers) while the gripper touches it.
``model``, ``data``, ``camera_name``, ``width``, ``height`` and
``rewardgym.envs.mujoco.camera.project`` map them to pixels of ``render()``;
``render_camera("top")`` / ``("side")`` give the second views KAGI used (same size).

## Arguments
| name | default | meaning |
|---|---|---|
| task | "reach" | one of ``TASKS`` |
| obs_type | "state" | "state", "pixels" or "state+pixels" |
| render_mode | None | "rgb_array" |
| width, height | 224, 224 | frame size |
| camera | "front" | "front", "top" or "side" |
| frame_skip | 10 | physics steps (4 ms) per env step |
| action_scale | 0.04 | metres of target motion per unit action |

## Version History
* v0: initial release.

Example:
    >>> import gymnasium as gym, rewardgym
    >>> env = gym.make("rewardgym/Manipulation-v0", task="drawer_open")
    >>> obs, info = env.reset(seed=0)
    >>> env.unwrapped.instruction, env.unwrapped.task.grasp_keypoint, env.unwrapped.task.waypoints
    ('open the drawer', 'handle', ['drawer_open'])
    >>> env.unwrapped.keypoint_plan
    KeypointPlan(camera='front', tracked='gripper', grasp='handle', waypoints=('drawer_open',), hold='contact', fingers=('finger_left', 'finger_right'))
    >>> env.unwrapped.goal_prompts, env.unwrapped.baseline_prompts
    (['an open drawer'], ['a robot gripper above a table'])
    >>> sorted(env.unwrapped.keypoints()), obs.shape, info["success"]
    (['drawer_open', 'gripper', 'handle'], (17,), False)
"""
from __future__ import annotations

from importlib import resources
from typing import Any

import gymnasium as gym
import mujoco
import numpy as np
from gymnasium import spaces

from .manipulation_tasks import BUTTON_PRESSED, FINGERS_CLOSED, TABLE_Z, TASKS, KeypointPlan, button_top
from .checks import check_env_args
from .rendering import SizedFrames
from .pickling import StatePickle

CAMERAS = ("front", "top", "side")  # fixed cameras of the scene: oblique front, top-down, side
WORKSPACE_LO = np.array([-0.3, -0.3, -0.16])  # joint offsets of the gripper
WORKSPACE_HI = np.array([0.3, 0.3, 0.25])


def build_model(task: str) -> mujoco.MjModel:
    xml = (resources.files("rewardgym.assets") / "manipulation" / "tabletop.xml").read_text()
    xml = xml.replace("<!-- TASK_OBJECTS -->", TASKS[task].xml.format(z=TABLE_Z + 0.025, c=0.025))
    return mujoco.MjModel.from_xml_string(xml)


class ManipulationEnv(StatePickle, SizedFrames, gym.Env):
    __doc__ = __doc__
    metadata = {"render_modes": ["rgb_array"], "render_fps": 12}
    pickled_model_fields = ("body_pos",)     # resets move the drawer, button and base cube bodies
    pickled_attrs = ("_target", "_lift")

    def __init__(self, task: str = "reach", obs_type: str = "state", render_mode: str | None = None,
                 width: int = 224, height: int = 224, camera: str = "front", frame_skip: int = 10,
                 action_scale: float = 0.04):
        check_env_args(task, TASKS, obs_type, render_mode, width, height)
        if frame_skip < 1 or not np.isfinite(action_scale) or action_scale <= 0:
            raise ValueError(f"frame_skip must be >= 1 and action_scale > 0, got {frame_skip}, {action_scale}")
        if camera not in CAMERAS:
            raise ValueError(f"camera must be one of {CAMERAS}, got {camera!r}")
        self.task = TASKS[task]
        self.obs_type, self.render_mode = obs_type, render_mode
        self.width, self.height, self.camera_name = width, height, camera
        self.frame_skip, self.action_scale = frame_skip, action_scale
        self.model = build_model(task)
        self.data = mujoco.MjData(self.model)
        self._renderer = None
        self.action_space = spaces.Box(-1.0, 1.0, (4,), np.float32)
        state = spaces.Box(-np.inf, np.inf, (17,), np.float64)
        pixels = spaces.Box(0, 255, (height, width, 3), np.uint8)
        self.observation_space = {"state": state, "pixels": pixels,
                                  "state+pixels": spaces.Dict({"state": state, "pixels": pixels})}[obs_type]
        m = self.model
        self._grip_site = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_SITE, "grip_site")
        self._grip_qadr = [m.jnt_qposadr[mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, n)]
                           for n in ("grip_x", "grip_y", "grip_z")]
        self._grip_dadr = [m.jnt_dofadr[mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, n)]
                           for n in ("grip_x", "grip_y", "grip_z")]
        self._finger_qadr = m.jnt_qposadr[mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, "finger_left")]
        self._target = np.zeros(3)
        self._lift = np.zeros(3)
        StatePickle.__init__(self, task=task, obs_type=obs_type, render_mode=render_mode, width=width, height=height,
                             camera=camera, frame_skip=frame_skip, action_scale=action_scale)

    # --- named state accessors (used by tasks, experts and keypoint rewards) ---------------
    @property
    def grip_pos(self) -> np.ndarray:
        return self.data.site_xpos[self._grip_site].copy()

    @property
    def grip_vel(self) -> np.ndarray:
        """Velocity (m/s) of the gripper's three slide joints."""
        return self.data.qvel[self._grip_dadr].copy()

    @property
    def finger_closure(self) -> float:
        """Finger travel: 0 fully open, about 0.009 closed on a cube, 0.03 closed on nothing."""
        return float(self.data.qpos[self._finger_qadr])

    @property
    def fingers_closed(self) -> bool:
        """The fingers have closed at least ``FINGERS_CLOSED`` (4 mm) from open: with both fingers
        touching an object from opposite sides, a grasp (the keypoint reward's test)."""
        return self.finger_closure >= FINGERS_CLOSED

    def _id(self, kind, name) -> int:
        i = mujoco.mj_name2id(self.model, kind, name)
        if i < 0:
            raise KeyError(f"{name!r} is not in the scene of task {self.task.name!r}")
        return i

    def body_pos(self, name: str) -> np.ndarray:
        return self.data.xpos[self._id(mujoco.mjtObj.mjOBJ_BODY, name)].copy()

    def geom_pos(self, name: str) -> np.ndarray:
        return self.data.geom_xpos[self._id(mujoco.mjtObj.mjOBJ_GEOM, name)].copy()

    def joint_qpos(self, name: str) -> float:
        return float(self.data.qpos[self.model.jnt_qposadr[self._id(mujoco.mjtObj.mjOBJ_JOINT, name)]])

    def set_mocap(self, name: str, pos) -> None:
        self.data.mocap_pos[self.model.body_mocapid[self._id(mujoco.mjtObj.mjOBJ_BODY, name)]] = pos

    def set_body(self, name: str, pos) -> None:
        self.model.body_pos[self._id(mujoco.mjtObj.mjOBJ_BODY, name)] = pos

    def set_free_body(self, name: str, pos) -> None:
        adr = self.model.jnt_qposadr[self.model.body_jntadr[self._id(mujoco.mjtObj.mjOBJ_BODY, name)]]
        self.data.qpos[adr:adr + 7] = np.r_[pos, 1.0, 0.0, 0.0, 0.0]

    @property
    def instruction(self) -> str:
        """The task said in words, e.g. "open the drawer"."""
        return self.task.instruction

    @property
    def goal_prompts(self) -> list[str]:
        """VLM-RM goal sentences: the scene with the task done, e.g. ["an open drawer"]."""
        return list(self.task.goal_prompts)

    @property
    def baseline_prompts(self) -> list[str]:
        """VLM-RM baseline sentences: the scene without the task, ["a robot gripper above a table"]."""
        return list(self.task.baseline_prompts)

    @property
    def keypoint_plan(self) -> KeypointPlan:
        """The task's KAGI plan (camera = this env's ``camera``, tracked, grasp, waypoints)."""
        return self.task.keypoint_plan(self.camera_name)

    def keypoints(self) -> dict[str, np.ndarray]:
        """Named 3D keypoints of the task, world coordinates (metres)."""
        names = self.task.keypoint_names
        kp = {"gripper": self.grip_pos}
        if "object" in names:
            kp["object"] = self.body_pos("object")
            kp["lift"] = self._lift.copy()
        if "goal" in names:
            kp["goal"] = self.body_pos("goal")
        if "handle" in names:
            kp["handle"] = self.geom_pos("handle")
            kp["drawer_open"] = kp["handle"] + np.array([0.0, -(0.15 - self.joint_qpos("drawer")), 0.0])
        if "button" in names:
            kp["button"] = button_top(self)
            kp["button_pressed"] = kp["button"] - np.array([0.0, 0.0, BUTTON_PRESSED + 0.004])
        return kp

    # --- gymnasium API ----------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        mujoco.mj_resetData(self.model, self.data)
        start = self.np_random.uniform([-0.1, -0.1, 0.0], [0.1, 0.1, 0.1])
        self.data.qpos[self._grip_qadr] = start
        self._target = start.copy()
        self.data.ctrl[:3] = start
        self.data.ctrl[3] = 0.0
        self.task.reset(self, self.np_random)
        mujoco.mj_forward(self.model, self.data)
        if "object" in self.task.keypoint_names:
            self._lift = self.body_pos("object") + np.array([0.0, 0.0, 0.12])
        return self._obs(), self._info()

    def step(self, action):
        a = np.asarray(action, dtype=np.float64)
        if a.shape != (4,) or not np.all(np.isfinite(a)):
            raise ValueError(f"action must be 4 finite numbers, got {action!r}")
        a = np.clip(a, -1.0, 1.0)
        self._target = np.clip(self._target + a[:3] * self.action_scale, WORKSPACE_LO, WORKSPACE_HI)
        self.data.ctrl[:3] = self._target
        self.data.ctrl[3] = 0.015 * (a[3] + 1.0)
        mujoco.mj_step(self.model, self.data, nstep=self.frame_skip)
        reward, info = self._reward_info()
        return self._obs(), reward, False, False, info

    def _reward_info(self) -> tuple[float, dict[str, Any]]:
        reward, terms = self.task.reward(self)
        info = {f"reward_{k}": float(v) for k, v in terms.items()}
        info["success"] = bool(self.task.success(self))
        return float(reward), info

    def _info(self) -> dict[str, Any]:
        return self._reward_info()[1]

    def _state(self) -> np.ndarray:
        grip = self.grip_pos
        names = self.task.keypoint_names
        obj = self.body_pos("object") if "object" in names else (
            self.geom_pos("handle") if "handle" in names else
            self.geom_pos("button") if "button" in names else np.zeros(3))
        goal = self.body_pos("goal") if "goal" in names else obj
        joint = self.joint_qpos("drawer") if "handle" in names else self.joint_qpos("button") if "button" in names else 0.0
        return np.concatenate([grip, [self.finger_closure], obj, obj - grip, goal, goal - grip, [joint]])

    def _obs(self):
        if self.obs_type == "state":
            return self._state()
        pixels = self._render_frame()
        return pixels if self.obs_type == "pixels" else {"state": self._state(), "pixels": pixels}

    def _render_frame(self, camera: str | None = None) -> np.ndarray:
        if self._renderer is None:
            from .rendering import FastRenderer

            self._renderer = FastRenderer(self.model, self.width, self.height, self.camera_name)
        return self._renderer.render(self.data, camera)

    def render_camera(self, camera: str) -> np.ndarray:
        """A frame (height, width, 3) from any of ``CAMERAS`` (e.g. a second, top-down view),
        whatever ``render_mode`` is; ``camera.project`` maps keypoints into it."""
        if camera not in CAMERAS:
            raise ValueError(f"camera must be one of {CAMERAS}, got {camera!r}")
        return self._render_frame(camera)

    def render(self):
        if self.render_mode == "rgb_array":
            return self._render_frame()
        return None

    def _frame_camera(self):
        return self.camera_name

    def close(self):
        self._close_sized_frames()
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
