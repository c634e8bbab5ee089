"""When the keypoint reward's grasp stage is complete: a real grasp, or (plans that push or pull) a contact.

``hold="grasp"`` (the default): the grasp point is **held** while the gripper's fingers close on
it from opposite sides:

* every finger touches the grasp point's body, two of them push on it in opposite directions
  (their contact normals, finger to object, more than 120 degrees apart: ``cos < -0.5``), and
  the fingers are closed (``env.unwrapped.fingers_closed`` where the env has it:
  Manipulation-v0's finger travel >= 4 mm; an env without it is judged on the contacts alone);
* or a lift with the fingers closed: the grasp point more than ``lift_height`` above where it was
  at reset, a finger touching it, the fingers closed and the point within ``hold_radius`` of the
  tracked point.

A hold lasts while the fingers stay closed and the grasp point stays within ``hold_radius`` of
the tracked point (contacts flicker while a cube is carried). A knock, a push with one finger or
the palm, a touch, an open gripper driven through the object: never held.

``hold="contact"``: for plans whose object is pushed or pulled rather than grasped (a pusher
arm's fingertip, a drawer handle hooked by open fingers). The stage is complete while the tracked
point's body (with its sub-bodies) touches the grasp point's body, or the grasp point is lifted
more than ``lift_height`` within ``hold_radius`` of the tracked point; it stays complete while the
grasp point is within ``hold_radius`` of the tracked point. This is reported as a contact
(``info["shaped_contact"]``), never as held.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

HOLDS = ("grasp", "contact")
OPPOSITE_COS = -0.5   # two fingers push from opposite sides: normals more than 120 degrees apart


def subtree(model, body: int) -> set[int]:
    """``body`` and every body below it in the kinematic tree."""
    parent = model.body_parentid
    out = {body}
    for b in range(len(parent)):
        a = b
        while a > 0:
            if a in out:
                out.add(b)
                break
            a = int(parent[a])
    return out


class GraspJudge:
    """Decides, from the simulator, whether the grasp stage of a keypoint plan is complete.

    Args:
        hold: "grasp" (closed fingers on opposite sides, or a lift with the fingers closed) or
            "contact" (the tracked body touches the point: pushing, pulling). See the module docstring.
        fingers: names of the finger bodies or geoms (two or more; "grasp" needs them).
        lift_height: metres above its reset height at which a grasp point counts as lifted.
        hold_radius: a hold (or contact) lasts while the grasp point is within this many metres
            of the tracked point.
    """

    def __init__(self, hold: str, fingers: Sequence[str], lift_height: float, hold_radius: float):
        self.hold, self.fingers = hold, list(fingers)
        self.lift_height, self.hold_radius = float(lift_height), float(hold_radius)
        self._finger_bodies: list[set[int]] = []
        self._hand: set[int] = set()
        self._object: int | None = None
        self._start = np.zeros(3)
        self._on = False

    def reset(self, env, spec) -> None:
        """Finds the bodies (the tracked point's, each finger's, the grasp point's) and the grasp
        point's reset position."""
        model = env.unwrapped.model
        hand = spec.body_of(env, spec.tracked)
        self._hand = subtree(model, hand) if hand not in (None, 0) else set()
        self._finger_bodies = [subtree(model, spec.body_of(env, f)) for f in self.fingers]
        self._object = spec.body_of(env, spec.grasp)
        self._start = spec.points3d(env, [spec.grasp])[0]
        self._on = False

    def _touches(self, env, bodies: set[int]) -> np.ndarray:
        """Contact normals (n, 3), pointing from ``bodies`` into the grasp point's body."""
        base = env.unwrapped
        n = base.data.ncon
        if self._object is None or not bodies or n == 0:
            return np.zeros((0, 3))
        con = base.data.contact
        b1, b2 = base.model.geom_bodyid[con.geom1[:n]], base.model.geom_bodyid[con.geom2[:n]]
        ours = list(bodies)
        forward = np.isin(b1, ours) & (b2 == self._object)      # MuJoCo's normal points from geom1 to geom2
        backward = np.isin(b2, ours) & (b1 == self._object)
        frames = con.frame[:n, :3]
        return np.vstack([frames[forward], -frames[backward]])

    def contact(self, env) -> bool:
        """The tracked point's body (or a sub-body, e.g. a finger) touches the grasp point's body."""
        return len(self._touches(env, self._hand)) > 0

    def pinched(self, env) -> bool:
        """Every finger touches the grasp point's body, two of them from opposite sides."""
        normals = [self._touches(env, f) for f in self._finger_bodies]
        if not normals or any(len(n) == 0 for n in normals):
            return False
        means = [n.mean(axis=0) for n in normals]
        means = [m / max(np.linalg.norm(m), 1e-12) for m in means]
        return any(float(means[i] @ means[j]) < OPPOSITE_COS for i in range(len(means)) for j in range(i + 1, len(means)))

    @staticmethod
    def fingers_closed(env) -> bool:
        """``env.unwrapped.fingers_closed`` where the env has it, else True (contacts alone decide)."""
        closed = getattr(env.unwrapped, "fingers_closed", None)
        return True if closed is None else bool(closed() if callable(closed) else closed)

    def __call__(self, env, spec) -> tuple[bool, bool]:
        """``(held, contact)``: whether the stage is complete by a real grasp, or (``hold="contact"``)
        by a contact. At most one of them is true."""
        point, hand = spec.points3d(env, [spec.grasp, spec.tracked])
        near = np.linalg.norm(point - hand) <= self.hold_radius
        lifted = point[2] - self._start[2] > self.lift_height and near
        if self.hold == "contact":
            if self.contact(env):
                self._on = True
            elif self._on and not near:
                self._on = False
            return False, bool(self._on or lifted)
        closed = self.fingers_closed(env)
        if closed and (self.pinched(env) or (lifted and any(len(self._touches(env, f)) for f in self._finger_bodies))):
            self._on = True
        elif self._on and not (closed and near):
            self._on = False
        return bool(self._on), False
