"""The Gymnasium-Robotics Fetch tasks rewardgym configures (``env=fetch_<task>``): instruction,
CLIP prompts, keypoint plan.

The plans use the Fetch model's own names, so Gymnasium-Robotics' code runs unedited:

* ``tracked``: the site ``robot0:grip`` between the fingers (Fetch's ``grip_pos``, the achieved
  goal of reach);
* ``grasp``: the site ``object0`` at the block's centre (the achieved goal of push, slide and
  pick-and-place);
* ``waypoints``: the site ``target0``, which Fetch draws at its goal (placed at reset by
  :class:`~rewardgym.envs.fetch.env.FetchEnv`; Fetch itself moves it only when rendering);
* ``hold``: ``grasp`` (the finger links closed on the block from opposite sides) for
  pick-and-place, ``contact`` for push and slide, whose block is pushed or struck.

Importing this module imports neither Gymnasium-Robotics nor MuJoCo.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = ["FetchTask", "TASKS", "FINGERS", "TRACKED", "TARGET"]

TRACKED = "robot0:grip"
TARGET = "target0"
FINGERS = ("robot0:r_gripper_finger_link", "robot0:l_gripper_finger_link")


@dataclass(frozen=True)
class FetchTask:
    """One Fetch task as rewardgym configures it.

    Attributes:
        module: the Gymnasium-Robotics module, ``gymnasium_robotics.envs.fetch.<module>``.
        env_class: the task's MuJoCo class in that module.
        instruction: the task in words (a VLM proposer's prompt).
        goal, baseline: CLIP goal and baseline prompts (VLM-RM).
        grasp: the point reached first (the block), or None.
        hold: "grasp" or "contact" (see ``rewardgym.reward_wrappers.keypoint_grasp``).
        name: the task's name (the key of :data:`TASKS`).
    """

    module: str
    env_class: str
    instruction: str
    goal: str
    baseline: str
    grasp: str | None = None
    hold: str = "contact"
    name: str = ""


_ARM = "a grey robot arm"
TASKS: dict[str, FetchTask] = {
    "reach": FetchTask("reach", "MujocoFetchReachEnv", "move the gripper to the red target",
                       f"{_ARM} with its gripper at the red target", f"{_ARM} above a table"),
    "push": FetchTask("push", "MujocoFetchPushEnv", "push the block to the red target",
                      f"{_ARM} has pushed the black block onto the red target", f"{_ARM} and a black block on a table",
                      grasp="object0"),
    "pick_and_place": FetchTask("pick_and_place", "MujocoFetchPickAndPlaceEnv",
                                "pick up the block and hold it at the red target",
                                f"{_ARM} holding the black block at the red target",
                                f"{_ARM} and a black block on a table", grasp="object0", hold="grasp"),
    "slide": FetchTask("slide", "MujocoFetchSlideEnv", "slide the puck to the red target",
                       f"{_ARM} has slid the black puck onto the red target", f"{_ARM} and a black puck on a long table",
                       grasp="object0"),
}
TASKS = {name: replace(task, name=name) for name, task in TASKS.items()}
