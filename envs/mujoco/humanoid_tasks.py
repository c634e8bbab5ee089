"""Pose tasks of ``rewardgym/HumanoidPose-v0``: named geometry, success tests, dense rewards.

All heights are metres above the floor, measured on Gymnasium's humanoid model
(standing: head centre about 1.6 m). ``upright`` is the z component of the torso's up axis
(1 upright, 0 horizontal, -1 upside down). Success tests are conjunctions of named
conditions; the dense reward of a task is the product of bounded ``tolerance`` terms that
encode the same conditions with soft margins, so it is 1 where the test passes.
"""
from __future__ import annotations

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
    """Named geometric measurements of the humanoid's current pose (after ``mj_forward``)."""
    ids = ids or _ids(model)

    def body(name):
        return data.xpos[ids[name]]

    def geom(name):
        return data.geom_xpos[ids[name]]

    torso_rot = data.xmat[ids["torso"]].reshape(3, 3)
    lf, rf = geom("left_foot"), geom("right_foot")
    pelvis = body("pelvis")
    return {
        "head_height": float(geom("head")[2]),
        "pelvis_height": float(pelvis[2]),
        "upright": float(torso_rot[2, 2]),
        "left_knee_height": float(body("left_shin")[2]),
        "right_knee_height": float(body("right_shin")[2]),
        "left_foot_height": float(lf[2]),
        "right_foot_height": float(rf[2]),
        "left_hand_height": float(geom("left_hand")[2]),
        "right_hand_height": float(geom("right_hand")[2]),
        "feet_distance": float(np.linalg.norm(lf[:2] - rf[:2])),
        "feet_to_pelvis": float(max(np.linalg.norm(lf[:2] - pelvis[:2]), np.linalg.norm(rf[:2] - pelvis[:2]))),
    }


@dataclass(frozen=True)
class PoseTask:
    name: str
    goal_prompts: tuple[str, ...]
    baseline_prompts: tuple[str, ...]
    success: Callable[[dict], bool] = field(repr=False)
    terms: Callable[[dict], dict[str, float]] = field(repr=False)
    description: str = ""

    def reward(self, m: dict) -> tuple[float, dict[str, float]]:
        terms = self.terms(m)
        return float(np.prod(list(terms.values()))), terms


def _t(x, lo=-np.inf, hi=np.inf, margin=0.2) -> float:
    return float(tolerance(x, lower=lo, upper=hi, margin=margin))


BASE = ("a humanoid robot",)


def _stand(m):
    return {"head_high": _t(m["head_height"], lo=1.4, margin=0.6), "upright": _t(m["upright"], lo=0.9, margin=0.5),
            "feet_down": _t(max(m["left_foot_height"], m["right_foot_height"]), hi=0.2, margin=0.3)}


def _kneel(m):
    return {"knees_down": _t(max(m["left_knee_height"], m["right_knee_height"]), hi=0.15, margin=0.3),
            "upright": _t(m["upright"], lo=0.8, margin=0.5),
            "head_mid": _t(m["head_height"], lo=0.9, hi=1.35, margin=0.4)}


def _sit(m):
    return {"pelvis_down": _t(m["pelvis_height"], hi=0.3, margin=0.4), "upright": _t(m["upright"], lo=0.75, margin=0.5),
            "legs_forward": _t(m["feet_to_pelvis"], lo=0.55, margin=0.3),
            "feet_down": _t(max(m["left_foot_height"], m["right_foot_height"]), hi=0.2, margin=0.3)}


def _lotus(m):
    return {"pelvis_down": _t(m["pelvis_height"], hi=0.3, margin=0.4), "upright": _t(m["upright"], lo=0.75, margin=0.5),
            "feet_in": _t(m["feet_to_pelvis"], hi=0.45, margin=0.3),
            "knees_down": _t(max(m["left_knee_height"], m["right_knee_height"]), hi=0.4, margin=0.3)}


def _splits(m):
    return {"feet_apart": _t(m["feet_distance"], lo=1.0, margin=0.6), "pelvis_down": _t(m["pelvis_height"], hi=0.55, margin=0.5),
            "upright": _t(m["upright"], lo=0.5, margin=0.5)}


def _arms_raised(m):
    hands = min(m["left_hand_height"], m["right_hand_height"])
    return {"hands_up": _t(hands - m["head_height"], lo=0.05, margin=0.5), "head_high": _t(m["head_height"], lo=1.3, margin=0.6),
            "upright": _t(m["upright"], lo=0.8, margin=0.5)}


def _lie_down(m):
    return {"head_down": _t(m["head_height"], hi=0.3, margin=0.6), "flat": _t(abs(m["upright"]), hi=0.3, margin=0.6)}


def _one_leg(m):
    lifted = max(m["left_foot_height"], m["right_foot_height"])
    support = min(m["left_foot_height"], m["right_foot_height"])
    return {"foot_lifted": _t(lifted, lo=0.35, margin=0.3), "other_down": _t(support, hi=0.15, margin=0.2),
            "head_high": _t(m["head_height"], lo=1.3, margin=0.6), "upright": _t(m["upright"], lo=0.8, margin=0.5)}


def _all_one(terms):
    return lambda m: all(v >= 1.0 for v in terms(m).values())


def _task(name, prompt, terms, description):
    return PoseTask(name, (prompt,), BASE, _all_one(terms), terms, description)


TASKS: dict[str, PoseTask] = {t.name: t for t in [
    _task("stand", "a humanoid robot standing up", _stand,
          "head >= 1.4 m, upright >= 0.9, both feet <= 0.2 m"),
    _task("kneel", "a humanoid robot kneeling", _kneel,
          "both knees <= 0.15 m, upright >= 0.8, head in [0.9, 1.35] m"),
    _task("sit", "a humanoid robot sitting on the floor", _sit,
          "pelvis <= 0.3 m, upright >= 0.75, farthest foot >= 0.55 m from the pelvis (legs out), feet <= 0.2 m"),
    _task("lotus", "a humanoid robot seated down, meditating, in the lotus position", _lotus,
          "pelvis <= 0.3 m, upright >= 0.75, both feet within 0.45 m of the pelvis, knees <= 0.4 m"),
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
