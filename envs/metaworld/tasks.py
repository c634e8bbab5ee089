"""The Meta-World v3 tasks rewardgym configures (``env=mw_<task>``): instruction, CLIP prompts, keypoint plan.

Each keypoint plan is written from the Meta-World model's own names (sites, geoms, bodies of its
XML), so the env's code runs unedited:

* ``tracked``: the site ``endEffector`` on the Sawyer's ``hand`` body (5 mm above Meta-World's
  ``tcp_center``, the midpoint of the finger pads);
* ``grasp``: the point Meta-World's own success test measures (``_get_pos_objects``): a site,
  geom or body at that place, on the body that moves (the drawer's ``objGeom`` sits 3.2 cm behind
  the handle point; the buttons' ``btnGeom`` 1.3 cm from the button's top, where the site
  ``buttonStart`` is on the fixed box);
* ``waypoints``: the site at ``_target_pos`` (``goal`` in most tasks; ``hole``, ``goalPress``,
  ``goal_open`` in the others);
* ``hold``: ``grasp`` (the pads ``rightpad``/``leftpad`` closed on it from opposite sides) for
  pick-place, ``contact`` for the tasks whose object is pushed, pressed or pulled.

Not configured: window-open and window-close. Meta-World's scripted policy opens and closes the
window while its hand stays 10-25 cm from the handle site its success test measures and touches
the sash only now and then, so a plan "touch the handle, move it to the goal" never saw its first
stage complete on the expert; they run as ``rewardgym/MetaWorld-v0`` with ``task=window-open`` and
Meta-World's own reward, without a keypoint plan.

Importing this module imports neither Meta-World nor MuJoCo.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = ["MWTask", "TASKS", "FINGERS", "TRACKED"]

TRACKED = "endEffector"
FINGERS = ("rightpad", "leftpad")


@dataclass(frozen=True)
class MWTask:
    """One Meta-World task as rewardgym configures it.

    Attributes:
        instruction: the task in words (a VLM proposer's prompt).
        goal: CLIP goal prompt; baseline: CLIP baseline prompt (VLM-RM).
        waypoints: the plan's target points (Meta-World site names).
        grasp: the point reached first (object, handle, button), or None.
        hold: "grasp" or "contact" (see ``rewardgym.reward_wrappers.keypoint_grasp``).
        name: the task's name (the key of :data:`TASKS`).
    """

    instruction: str
    goal: str
    baseline: str
    waypoints: tuple[str, ...]
    grasp: str | None = None
    hold: str = "contact"
    name: str = ""


_ARM = "a red robot arm"
TASKS: dict[str, MWTask] = {
    "reach": MWTask("move the gripper to the goal", f"{_ARM} with its gripper at the green goal point",
                    f"{_ARM} above a table", ("goal",)),
    "push": MWTask("push the puck to the goal", f"{_ARM} has pushed the red puck onto the green goal point",
                   f"{_ARM} and a red puck on a table", ("goal",), grasp="obj"),
    "pick-place": MWTask("pick up the puck and place it at the goal",
                         f"{_ARM} holding the red puck up in the air at the green goal point",
                         f"{_ARM} and a red puck on a table", ("goal",), grasp="obj", hold="grasp"),
    "button-press-topdown": MWTask("press the button from the top", f"{_ARM} pressing the red button down",
                                   f"{_ARM} and a button box on a table", ("hole",), grasp="btnGeom"),
    "button-press": MWTask("press the button from the front", f"{_ARM} pushing the red button into the wall",
                           f"{_ARM} and a button on a wall", ("hole",), grasp="btnGeom"),
    "drawer-open": MWTask("open the drawer", f"{_ARM} pulling the drawer open", f"{_ARM} and a closed drawer",
                          ("goal",), grasp="objGeom"),
    "door-open": MWTask("open the door", f"{_ARM} has swung the door wide open", f"{_ARM} and a closed door",
                        ("goal",), grasp="handle"),
    "plate-slide": MWTask("slide the plate into the goal", f"{_ARM} has slid the puck into the goal",
                          f"{_ARM} and a puck on a table", ("goal",), grasp="puck"),
    "handle-press": MWTask("press the handle down", f"{_ARM} pressing the handle all the way down",
                           f"{_ARM} and a handle sticking up", ("goalPress",), grasp="handleStart"),
    "faucet-open": MWTask("turn the faucet on", f"{_ARM} turning the faucet handle", f"{_ARM} and a faucet",
                          ("goal_open",), grasp="handleStartOpen"),
    "lever-pull": MWTask("pull the lever up", f"{_ARM} pulling the lever up", f"{_ARM} and a lever",
                         ("goal",), grasp="leverStart"),
}
TASKS = {name: replace(task, name=name) for name, task in TASKS.items()}
