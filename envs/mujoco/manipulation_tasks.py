"""Tasks of ``rewardgym/Manipulation-v0``: scene objects, randomisation, success and reward.

Every position is in metres in the world frame; the table top is at z = ``TABLE_Z``. Each task
names the keypoints it exposes and, for keypoint rewards (KAGI), which keypoint the gripper
must reach first (``grasp_keypoint``; None when nothing is grasped) and the ordered
``waypoints`` the tracked point must then pass through.

This table is the one place a task's facts are written: its instruction, its VLM-RM goal and
baseline prompts and its keypoint plan. The env exposes them (``env.unwrapped.instruction``,
``goal_prompts``, ``baseline_prompts``, ``keypoint_plan``); rewards and configs read them from
there, and a Hydra YAML only overrides.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .tolerance import tolerance

TABLE_Z = 0.4          # height of the table top
CUBE = 0.025           # half size of the cubes
GRIP_REST = np.array([0.0, 0.0, 0.55])  # grip site at joint offsets 0
FINGERS = ("finger_left", "finger_right")  # the gripper's finger bodies (they close along y)
FINGERS_CLOSED = 0.004  # finger travel (m) from open at which the fingers count as closed (0.01 on a cube)

OBJECT_XML = """
    <body name="object" pos="0 0 {z}"><freejoint name="object"/>
      <geom name="object" type="box" size="{c} {c} {c}" rgba="0.85 0.15 0.15 1" mass="0.08"/></body>"""
GOAL_XML = """
    <body name="goal" pos="0 0 0.5" mocap="true">
      <geom name="goal" type="sphere" size="0.02" rgba="0.1 0.75 0.1 0.7" contype="0" conaffinity="0"/></body>"""
HIDDEN_GOAL_XML = GOAL_XML.replace('rgba="0.1 0.75 0.1 0.7"', 'rgba="0 0 0 0"')
TARGET_PAD_XML = """
    <body name="goal" pos="0 0 0.4005" mocap="true">
      <geom name="goal" type="cylinder" size="0.04 0.0005" rgba="0.1 0.75 0.1 1" contype="0" conaffinity="0"/></body>"""
DRAWER_XML = """
    <body name="drawer_case" pos="0 0.24 0.455">
      <geom type="box" pos="0 0.02 0.057" size="0.11 0.1 0.004" rgba="0.35 0.35 0.4 1" contype="2" conaffinity="2"/>
      <body name="drawer" pos="0 0 0">
        <joint name="drawer" type="slide" axis="0 -1 0" range="0 0.2" damping="4"/>
        <geom name="drawer" type="box" size="0.1 0.1 0.05" rgba="0.95 0.8 0.3 1" mass="0.5" contype="2" conaffinity="2"/>
        <geom name="handle" type="box" pos="0 -0.145 0.01" size="0.05 0.008 0.008" rgba="0.2 0.2 0.2 1" contype="2" conaffinity="2"/>
        <geom type="box" pos="-0.045 -0.122 0.01" size="0.006 0.022 0.006" rgba="0.2 0.2 0.2 1" contype="2" conaffinity="2"/>
        <geom type="box" pos="0.045 -0.122 0.01" size="0.006 0.022 0.006" rgba="0.2 0.2 0.2 1" contype="2" conaffinity="2"/>
      </body>
    </body>"""
BUTTON_XML = """
    <body name="button_base" pos="0 0.1 0.4">
      <geom type="cylinder" pos="0 0 0.005" size="0.045 0.005" rgba="0.3 0.3 0.3 1" contype="0" conaffinity="0"/>
      <body name="button" pos="0 0 0.01">
        <joint name="button" type="slide" axis="0 0 -1" range="0 0.016" stiffness="60" springref="0" damping="2"/>
        <geom name="button" type="cylinder" pos="0 0 0.02" size="0.03 0.01" rgba="0.9 0.1 0.1 1" mass="0.05"/>
      </body>
    </body>"""
BASE_CUBE_XML = """
    <body name="base_cube" pos="0 0 {z}">
      <geom name="base_cube" type="box" size="{c} {c} {c}" rgba="0.15 0.4 0.85 1"/></body>"""


BASELINE_PROMPTS = ("a robot gripper above a table",)  # VLM-RM baseline: the scene without the task done


@dataclass(frozen=True)
class KeypointPlan:
    """What a keypoint reward (KAGI) tracks on a task, through which points, seen by which camera.

    Attributes:
        camera: the scene camera whose pixels the keypoints are measured in.
        tracked: the gripper's keypoint (it carries the object after the grasp).
        grasp: the keypoint to reach first, or None when nothing is grasped.
        waypoints: the keypoints the tracked point must then pass through, in order.
        hold: how the grasp stage completes: "grasp" (the fingers closed on the grasp point from
            opposite sides) or "contact" (touching it: the object is pushed or pulled).
        fingers: the gripper's finger bodies (a grasp is judged from their contacts).
    """

    camera: str
    tracked: str
    grasp: str | None
    waypoints: tuple[str, ...]
    hold: str = "grasp"
    fingers: tuple[str, ...] = FINGERS


@dataclass
class Task:
    """One manipulation task. ``env`` below is a ``ManipulationEnv``."""

    name: str
    instruction: str
    xml: str
    grasp_keypoint: str | None
    waypoints: list[str]
    reset: Callable = field(repr=False)       # (env, rng) -> None: places objects and goal
    success: Callable = field(repr=False)     # env -> bool
    reward: Callable = field(repr=False)      # env -> (reward in [0, 1], terms)
    keypoint_names: tuple[str, ...] = ("gripper",)
    goal_prompts: tuple[str, ...] = ()        # VLM-RM goal sentences: the scene with the task done
    baseline_prompts: tuple[str, ...] = BASELINE_PROMPTS
    tracked_keypoint: str = "gripper"         # what the gripper's position is called in ``keypoints()``
    hold: str = "grasp"                       # "grasp": fingers closed on the grasp keypoint; "contact": touched

    def keypoint_plan(self, camera: str) -> KeypointPlan:
        """The task's keypoint plan measured in ``camera``'s pixels."""
        return KeypointPlan(camera, self.tracked_keypoint, self.grasp_keypoint, tuple(self.waypoints), self.hold)


def _xy(rng, lo=-0.15, hi=0.15):
    return rng.uniform(lo, hi, size=2)


def _dist(a, b) -> float:
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)))


# --- reach --------------------------------------------------------------------------------
def _reach_reset(env, rng):
    env.set_mocap("goal", np.r_[_xy(rng, -0.2, 0.2), TABLE_Z + rng.uniform(0.05, 0.25)])


REACH_RADIUS = 0.05  # success radius, as Gymnasium-Robotics' FetchReach and Meta-World's reach (5 cm)


def _reach_reward(env):
    # linear fall-off: a Gaussian one is flat at the bound (0.997 at 3 cm), too weak a signal
    # for PPO to settle inside the 3 cm success radius
    near = float(tolerance(_dist(env.grip_pos, env.body_pos("goal")), upper=0.01, margin=0.3, sigmoid="linear"))
    return near, {"near_goal": near}


# --- push / pick_place / stack: a red cube ----------------------------------------------------
def _cube_reset(env, rng, goal_height) -> np.ndarray:
    """Places the red cube and the goal at least 10 cm apart (xy); returns the goal's xy."""
    obj = _xy(rng, -0.12, 0.12)
    while True:
        goal = _xy(rng, -0.15, 0.15)
        if np.linalg.norm(goal - obj) > 0.1:
            break
    env.set_free_body("object", np.r_[obj, TABLE_Z + CUBE])
    env.set_mocap("goal", np.r_[goal, TABLE_Z + goal_height + (0 if goal_height else 0.0005)])
    return goal


def _object_to_goal_reward(env, xy_only=False):
    obj, goal = env.body_pos("object"), env.body_pos("goal")
    d = _dist(obj[:2], goal[:2]) if xy_only else _dist(obj, goal)
    reach = float(tolerance(_dist(env.grip_pos, obj), upper=0.02, margin=0.3))
    place = float(tolerance(d, upper=0.02, margin=0.3))
    return 0.2 * reach + 0.8 * place, {"near_object": reach, "object_at_goal": place}


def _stack_reset(env, rng):
    # the goal's xy comes from the sampler, not from data.xpos (stale until mj_forward)
    goal = _cube_reset(env, rng, 0.0)
    env.set_body("base_cube", np.r_[goal, TABLE_Z + CUBE])
    env.set_mocap("goal", np.r_[goal, TABLE_Z + 3 * CUBE])


# --- drawer ---------------------------------------------------------------------------------
DRAWER_OPEN = 0.12


def _drawer_reset(env, rng):
    env.set_body("drawer_case", np.r_[rng.uniform(-0.12, 0.12), rng.uniform(0.2, 0.26), TABLE_Z + 0.055])


def _drawer_reward(env):
    handle = env.geom_pos("handle")
    reach = float(tolerance(_dist(env.grip_pos, handle), upper=0.015, margin=0.3))
    opened = float(tolerance(env.joint_qpos("drawer"), lower=DRAWER_OPEN, upper=1.0, margin=DRAWER_OPEN))
    return 0.2 * reach + 0.8 * opened, {"near_handle": reach, "drawer_open": opened}


# --- button ---------------------------------------------------------------------------------
BUTTON_PRESSED = 0.01    # travel that counts as pressed
BUTTON_HALF = 0.01       # half height of the button cap


def button_top(env) -> np.ndarray:
    return env.geom_pos("button") + np.array([0.0, 0.0, BUTTON_HALF])


def _button_reset(env, rng):
    env.set_body("button_base", np.r_[_xy(rng, -0.15, 0.15), TABLE_Z])


def _button_reward(env):
    top = button_top(env)
    reach = float(tolerance(_dist(env.grip_pos, top), upper=0.02, margin=0.3))
    pressed = float(tolerance(env.joint_qpos("button"), lower=BUTTON_PRESSED, upper=1.0, margin=BUTTON_PRESSED))
    return 0.3 * reach + 0.7 * pressed, {"near_button": reach, "pressed": pressed}


TASKS: dict[str, Task] = {
    "reach": Task("reach", "move the gripper to the green ball", GOAL_XML, None, ["goal"],
                  _reach_reset, lambda e: _dist(e.grip_pos, e.body_pos("goal")) < REACH_RADIUS, _reach_reward,
                  ("gripper", "goal"), goal_prompts=("a robot gripper at the green ball",)),
    "push": Task("push", "push the red cube onto the green pad", OBJECT_XML + TARGET_PAD_XML, "object", ["goal"],
                 lambda e, r: _cube_reset(e, r, 0.0),
                 lambda e: _dist(e.body_pos("object")[:2], e.body_pos("goal")[:2]) < 0.04,
                 lambda e: _object_to_goal_reward(e, xy_only=True), ("gripper", "object", "goal"),
                 goal_prompts=("a red cube on the green pad",), hold="contact"),
    "pick_place": Task("pick_place", "pick up the red cube and put it at the green ball", OBJECT_XML + GOAL_XML,
                       "object", ["lift", "goal"], lambda e, r: _cube_reset(e, r, 0.15),
                       lambda e: _dist(e.body_pos("object"), e.body_pos("goal")) < 0.04, _object_to_goal_reward,
                       ("gripper", "object", "lift", "goal"), goal_prompts=("a red cube lifted at the green ball",)),
    "stack": Task("stack", "stack the red cube on the blue cube", OBJECT_XML + BASE_CUBE_XML + HIDDEN_GOAL_XML, "object", ["lift", "goal"], _stack_reset,
                  lambda e: _dist(e.body_pos("object"), e.body_pos("goal")) < 0.015
                  and e.finger_closure < 0.007, _object_to_goal_reward, ("gripper", "object", "lift", "goal"),
                  goal_prompts=("a red cube stacked on a blue cube",)),
    "drawer_open": Task("drawer_open", "open the drawer", DRAWER_XML, "handle", ["drawer_open"], _drawer_reset,
                        lambda e: e.joint_qpos("drawer") > DRAWER_OPEN, _drawer_reward,
                        ("gripper", "handle", "drawer_open"), goal_prompts=("an open drawer",), hold="contact"),
    "button_press": Task("button_press", "press the red button", BUTTON_XML, None, ["button", "button_pressed"],
                         _button_reset, lambda e: e.joint_qpos("button") > BUTTON_PRESSED, _button_reward,
                         ("gripper", "button", "button_pressed"), goal_prompts=("a pressed red button",)),
}
