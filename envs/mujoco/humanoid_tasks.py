"""Pose tasks of ``rewardgym/HumanoidPose-v0``: named geometry, success tests, dense rewards.

All heights are metres above the floor, measured on Gymnasium's humanoid model
(standing on the floor: head centre about 1.48 m, knees 0.42 m, feet 0.07 m). ``upright`` is the z component of the torso's up axis
(1 upright, 0 horizontal, -1 upside down). Success tests are conjunctions of named
conditions; the dense reward of a task is the product of bounded ``tolerance`` terms that
encode the same conditions with soft margins, so it is 1 where the test passes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import mujoco
import numpy as np

from .tolerance import tolerance

BODIES = ("torso", "pelvis", "left_shin", "right_shin")
GEOMS = ("head", "left_foot", "right_foot", "left_hand", "right_hand")


def _ids(model: mujoco.MjModel) -> dict[str, int]:
    ids = {n: mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, n) for n in BODIES}
    ids.update({n: mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, n) for n in GEOMS})
    return ids


def measure(model: mujoco.MjModel, data: mujoco.MjData, ids: dict[str, int] | None = None) -> dict[str, float]:
    """Named geometric measurements of the humanoid's current pose (after ``mj_forward``).

    Keys (metres, world frame; heights are z above the floor):
        ``head_height`` (head sphere centre), ``pelvis_height`` (pelvis body origin),
        ``upright`` (z of the torso's up axis: 1 upright, 0 lying, -1 upside down),
        ``left/right_knee_height`` (shin body origins = knees), ``left/right_foot_height``
        (foot sphere centres; 0.075 = resting on the floor), ``left/right_hand_height``,
        ``hands_above_head`` (lower hand minus head), ``feet_distance`` (horizontal distance
        between the feet: leg spread), ``feet_to_pelvis`` (horizontal distance from the pelvis to
        the farther foot: legs out in front vs tucked in).
    """
    ids = ids or _ids(model)

    def body(name):
        return data.xpos[ids[name]]

    def geom(name):
        return data.geom_xpos[ids[name]]

    lf, rf = geom("left_foot"), geom("right_foot")
    pelvis = body("pelvis")
    head = float(geom("head")[2])
    lh, rh = float(geom("left_hand")[2]), float(geom("right_hand")[2])
    return {
        "head_height": head,
        "pelvis_height": float(pelvis[2]),
        "upright": float(data.xmat[ids["torso"], 8]),  # z of the torso's up axis
        "left_knee_height": float(body("left_shin")[2]),
        "right_knee_height": float(body("right_shin")[2]),
        "left_foot_height": float(lf[2]),
        "right_foot_height": float(rf[2]),
        "left_hand_height": lh,
        "right_hand_height": rh,
        "hands_above_head": min(lh, rh) - head,
        "feet_distance": float(np.linalg.norm(lf[:2] - rf[:2])),
        "feet_to_pelvis": float(max(np.linalg.norm(lf[:2] - pelvis[:2]), np.linalg.norm(rf[:2] - pelvis[:2]))),
    }


@dataclass(frozen=True)
class PoseTask:
    """One pose task.

    Attributes:
        name: the task's name (``gym.make(..., task=name)``).
        goal_prompts: VLM-RM goal sentences describing the pose.
        baseline_prompts: VLM-RM baseline sentences (the scene without the pose).
        terms: measurements -> named tolerance terms in [0, 1].
        description: the success test in words (all terms equal to 1).
    """

    name: str
    goal_prompts: tuple[str, ...]
    baseline_prompts: tuple[str, ...]
    terms: Callable[[dict], dict[str, float]] = field(repr=False)
    description: str = ""

    def evaluate(self, m: dict) -> tuple[float, dict[str, float], bool]:
        """(reward = product of the terms, the terms, success = every term is 1)."""
        terms = self.terms(m)
        return math.prod(terms.values()), terms, all(v >= 1.0 for v in terms.values())

    def reward(self, m: dict) -> tuple[float, dict[str, float]]:
        """Dense ground-truth reward in [0, 1] and its terms."""
        reward, terms, _ = self.evaluate(m)
        return reward, terms

    def success(self, m: dict) -> bool:
        """The geometric success test (the terms' conditions without margins)."""
        return self.evaluate(m)[2]


def _t(x, lo=-math.inf, hi=math.inf, margin=0.2) -> float:
    return tolerance(x, lower=lo, upper=hi, margin=margin, sigmoid="exponential")


BASE = ("a humanoid robot",)
# head height of an upright stance: standing straight on the floor it is 1.48 m; knees slightly
# bent ~1.35-1.45 m; kneeling upright ~1.1 m. Shared by stand, arms_raised and one_leg.
STAND_HEAD = 1.3


def _stand(m):
    return {"head_high": _t(m["head_height"], lo=STAND_HEAD, margin=0.6), "upright": _t(m["upright"], lo=0.9, margin=0.5),
            "feet_down": _t(max(m["left_foot_height"], m["right_foot_height"]), hi=0.2, margin=0.3)}


def _kneel(m):
    return {"knees_down": _t(max(m["left_knee_height"], m["right_knee_height"]), hi=0.2, margin=0.3),
            "upright": _t(m["upright"], lo=0.8, margin=0.5),
            "head_mid": _t(m["head_height"], lo=0.9, hi=1.35, margin=0.4)}


def _sit(m):
    return {"pelvis_down": _t(m["pelvis_height"], hi=0.3, margin=0.4), "upright": _t(m["upright"], lo=0.75, margin=0.5),
            "legs_forward": _t(m["feet_to_pelvis"], lo=0.55, margin=0.3),
            "feet_down": _t(max(m["left_foot_height"], m["right_foot_height"]), hi=0.3, margin=0.3)}


def _lotus(m):
    return {"pelvis_down": _t(m["pelvis_height"], hi=0.3, margin=0.4), "upright": _t(m["upright"], lo=0.75, margin=0.5),
            "feet_in": _t(m["feet_to_pelvis"], hi=0.45, margin=0.3),
            "knees_down": _t(max(m["left_knee_height"], m["right_knee_height"]), hi=0.45, margin=0.3)}


def _splits(m):
    return {"feet_apart": _t(m["feet_distance"], lo=1.0, margin=0.6), "pelvis_down": _t(m["pelvis_height"], hi=0.55, margin=0.5),
            "upright": _t(m["upright"], lo=0.5, margin=0.5)}


def _arms_raised(m):
    return {"hands_up": _t(m["hands_above_head"], lo=0.05, margin=0.5), "head_high": _t(m["head_height"], lo=STAND_HEAD, margin=0.6),
            "upright": _t(m["upright"], lo=0.8, margin=0.5)}


def _lie_down(m):
    return {"head_down": _t(m["head_height"], hi=0.3, margin=0.6), "flat": _t(abs(m["upright"]), hi=0.3, margin=0.6)}


def _one_leg(m):
    lifted = max(m["left_foot_height"], m["right_foot_height"])
    support = min(m["left_foot_height"], m["right_foot_height"])
    return {"foot_lifted": _t(lifted, lo=0.35, margin=0.3), "other_down": _t(support, hi=0.15, margin=0.2),
            "head_high": _t(m["head_height"], lo=STAND_HEAD, margin=0.6), "upright": _t(m["upright"], lo=0.8, margin=0.5)}


def _task(name, prompt, terms, description):
    return PoseTask(name, (prompt,), BASE, terms, description)


TASKS: dict[str, PoseTask] = {t.name: t for t in [
    _task("stand", "a humanoid robot standing up", _stand,
          "head >= 1.3 m, upright >= 0.9, both feet <= 0.2 m"),
    _task("kneel", "a humanoid robot kneeling", _kneel,
          "both knees <= 0.2 m, upright >= 0.8, head in [0.9, 1.35] m"),
    _task("sit", "a humanoid robot sitting on the floor", _sit,
          "pelvis <= 0.3 m, upright >= 0.75, farthest foot >= 0.55 m from the pelvis (legs out), feet <= 0.3 m"),
    _task("lotus", "a humanoid robot seated down, meditating, in the lotus position", _lotus,
          "pelvis <= 0.3 m, upright >= 0.75, both feet within 0.45 m of the pelvis, knees <= 0.45 m"),
    _task("splits", "a humanoid robot doing the splits", _splits,
          "feet >= 1.0 m apart, pelvis <= 0.55 m, upright >= 0.5"),
    _task("arms_raised", "a humanoid robot standing up, with both arms raised", _arms_raised,
          "both hands >= 5 cm above the head, head >= 1.3 m, upright >= 0.8"),
    _task("lie_down", "a humanoid robot lying down on the ground", _lie_down,
          "head <= 0.3 m, |upright| <= 0.3"),
    _task("one_leg", "a humanoid robot standing on one leg", _one_leg,
          "one foot >= 0.35 m, the other <= 0.15 m, head >= 1.3 m, upright >= 0.8"),
]}


def satisfied(m: dict) -> dict[str, bool]:
    """Which tasks' success tests hold for measurements ``m`` (for labelling frames)."""
    return {name: bool(task.success(m)) for name, task in TASKS.items()}
