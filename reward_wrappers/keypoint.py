"""KAGI keypoint reward (Lee et al. 2024, "Affordance-Guided RL via Visual Prompting"), in 3-D.

Keypoints are proposed once, on the first frames of each episode: an optional grasp point
``k_0`` and ordered waypoints ``k_1..k_K`` to the goal, in the pixels of one or more views
(named cameras). They are lifted to world points: a keypoint seen in two or more views is
**triangulated** (the point nearest to the views' rays, least squares); one seen in a single
view is **lifted with the renderer's depth** at its pixel; the ``ground_truth`` proposer also
gives the exact 3-D points. The tracked point ``p_t`` is read from the simulator (a named
keypoint, site, geom or body), so progress is measured in metres and an agent cannot gain it
without moving toward the target in 3-D.

The task is a chain of ``S = K + [grasp]`` stages. Each step the current stage ``s`` is worked
out from the state (stages can regress):

* grasp stage (``s = 0``): complete while the grasp object is *held*: the fingers closed on it
  from opposite sides, or lifted with the fingers closed (a knock, a push or a touch never is);
  or, for a plan with ``hold="contact"`` (the object is pushed or pulled), while the tracked
  point's body touches it (:mod:`.keypoint_grasp`). Losing it returns to stage 0. While it
  holds, the point that must move on is the grasp point itself.
* waypoint ``i``: complete when the moving point is within ``radius`` of ``k_i``; it stays
  complete while the point stays within ``|k_i - k_{i+1}| + radius`` of the next waypoint
  (leaving that ball, or losing the grasp, un-completes it). The last waypoint completes within
  ``goal_radius`` (default ``radius``); with ``goal_radius=0`` it never completes by distance, so
  its progress keeps rising all the way to the goal (no flat top for a task whose own success
  threshold is tighter than ``radius``, e.g. a button that must travel its last 2 cm).

With ``d = |p - k_s|`` (metres) and ``D_s`` the stage's length (the first stage's is
``approach_scale``, a fixed length, or with ``approach_scale=None`` the tracked point's distance
to ``k_0`` at reset, as in KAGI; then ``|k_{s-1} - k_s|`` fixed at reset; at least ``min_scale``),
the stage's progress falls linearly from 1 at its waypoint to ``tail`` at ``D_s`` and then keeps
falling, smoothly and never flat, toward 0::

    g(d) = 1 - (1 - tail) d / D_s                 d <= D_s
    g(d) = tail * 2 D_s / (D_s + d)                d >  D_s
    r_t  = (s + g(d)) / S                          in (0, 1];  r_t = 1 when every stage is complete

so a state farther from the waypoint always gets less (``tail=0`` is the older clipped
``(s + 1 - min(d / D_s, 1)) / S``, flat beyond ``D_s``).

When the env's sparse success signal ``info["success"]`` is true the reward is 1 (it overrides
the dense one, as in KAGI; ``success_override=False`` turns this off; ``success_reward`` > 1
pays success more than the dense top).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .base import RewardWrapper
from .keypoint_grasp import HOLDS, GraspJudge
from .keypoint_proposers import Proposal
from .keypoint_views import _names, _env_name, KeypointSpec, triangulate, lift

__all__ = ["KeypointReward", "KeypointSpec", "Proposal", "stage_reward", "stage_progress", "triangulate", "lift", "resolve_plan",
           "keypoint_or_ground_truth"]

TAIL = 0.1   # share of a stage's progress left at its length D_s, spread over the distances beyond it


def stage_progress(dist: float, scale: float, tail: float = TAIL) -> float:
    """A stage's progress in (0, 1]: 1 at ``dist = 0``, linear down to ``tail`` at ``dist = scale``,
    then ``tail * 2 scale / (scale + dist)`` (strictly decreasing, continuous; ``tail = 0``: 0 beyond)."""
    if scale <= 0:
        return 1.0
    x = dist / scale
    return 1.0 - (1.0 - tail) * x if x <= 1.0 else tail * 2.0 / (1.0 + x)


def stage_reward(stage: int, n_stages: int, dist: float, scale: float, tail: float = TAIL) -> float:
    """``(stage + stage_progress(dist, scale, tail)) / n_stages``; 1 once ``stage == n_stages``."""
    if n_stages < 1 or not 0 <= stage <= n_stages:
        raise ValueError(f"stage must be in [0, {n_stages}] with n_stages >= 1, got {stage}, {n_stages}")
    if stage == n_stages:
        return 1.0
    return (stage + stage_progress(dist, scale, tail)) / n_stages


def make_proposer(proposer: str, task: str = "default", **kwargs):
    """``ground_truth``, ``file`` (kwargs: path, key = the task name by default) or ``vlm``
    (kwargs of :class:`VLMProposer`; ``local_model=<dir>`` runs a local transformers model)."""
    from .keypoint_proposers import FileProposer, GroundTruthProposer, VLMProposer

    if proposer == "ground_truth":
        return GroundTruthProposer()
    if proposer == "file":
        if "path" not in kwargs:
            raise ValueError("proposer='file' needs proposer_kwargs.path (a JSON of pixel keypoints per task)")
        return FileProposer(kwargs["path"], kwargs.get("key", task))
    if proposer == "vlm":
        if "local_model" in kwargs:
            from .keypoint_proposers import local_transformers

            kwargs["query"] = local_transformers(kwargs.pop("local_model"))
        return VLMProposer(**kwargs)
    raise ValueError(f"proposer must be 'ground_truth', 'file' or 'vlm', got {proposer!r}")


def resolve_plan(env, waypoints: Sequence[str] | None = None, grasp: str | None | bool = None,
                 tracked: str | None = None, camera: str | None = None, hold: str | None = None,
                 fingers: Sequence[str] | None = None) -> dict:
    """The keypoint plan of ``env``: each argument given wins, each None is read from
    ``env.unwrapped.keypoint_plan`` (rewardgym's Manipulation-v0 has one per task).

    ``grasp=False`` means "no grasp stage" even where the env's plan has one. Without a plan,
    ``waypoints`` and ``tracked`` must be given (``ValueError`` names the missing ones); ``grasp``
    is then none and ``camera`` the env's ``camera_name`` (or a Gymnasium env's free camera);
    ``hold`` is "grasp" unless the plan or the argument says "contact"; ``fingers`` none.

    Returns:
        ``{"waypoints": [...], "grasp": str | None, "tracked": str, "camera": str | None,
        "hold": "grasp" | "contact", "fingers": [...]}``.
    """
    plan = getattr(env.unwrapped, "keypoint_plan", None)
    given = {"waypoints": waypoints, "grasp": grasp, "tracked": tracked, "camera": camera, "hold": hold,
             "fingers": fingers}
    out = {k: (getattr(plan, k, None) if v is None and plan is not None else v) for k, v in given.items()}
    missing = [k for k in ("waypoints", "tracked") if out[k] is None]
    if missing:
        raise ValueError(f"keypoint reward needs {' and '.join(missing)}: {_env_name(env.unwrapped)} has no keypoint_plan; "
                         "pass " + ", ".join(f"{k}=..." for k in missing))
    if isinstance(out["waypoints"], str) or len(out["waypoints"]) == 0:
        raise ValueError(f"waypoints must be a non-empty list of point names, got {out['waypoints']!r}")
    if out["grasp"] is False:
        out["grasp"] = None
    elif out["grasp"] is not None and not isinstance(out["grasp"], str):
        raise ValueError(f"grasp must be a point name, None (the env's plan) or False (no grasp), got {out['grasp']!r}")
    out["waypoints"] = list(out["waypoints"])
    out["hold"] = out["hold"] or "grasp"
    if out["hold"] not in HOLDS:
        raise ValueError(f"hold must be one of {HOLDS}, got {out['hold']!r}")
    if isinstance(out["fingers"], str):
        raise ValueError(f"fingers must be a list of body or geom names, got {out['fingers']!r}")
    out["fingers"] = list(out["fingers"] or [])
    if out["grasp"] and out["hold"] == "grasp" and len(out["fingers"]) < 2:
        raise ValueError(f"a grasp stage needs the fingers that close on {out['grasp']!r} to tell a grasp from a touch: "
                         f"{_env_name(env.unwrapped)} has no fingers in its keypoint plan and none were given; pass "
                         "fingers=[<two or more finger bodies or geoms>], or hold='contact' (the stage completes while "
                         "the tracked body touches the point: a push or a pull), or grasp=False")
    return out


def resolve_cameras(env, camera: str | None, cameras: Sequence[str] | None) -> tuple[str | None, list[str]]:
    """Main camera and every view, checked against the model's named cameras.

    ``camera`` None: the env's ``camera_name``, else (no named camera) the free camera.
    ``cameras`` None: the main camera and every other named camera of the model.
    """
    import mujoco

    base = env.unwrapped
    model = getattr(base, "model", None)
    if model is None:
        raise ValueError(f"keypoint reward needs a MuJoCo env (model/data): {_env_name(base)} has none")
    valid = _names(model, mujoco.mjtObj.mjOBJ_CAMERA)
    camera = camera or getattr(base, "camera_name", None)
    for c in ([camera] if camera else []) + list(cameras or []):
        if c not in valid:
            raise ValueError(f"camera {c!r} is not a camera of {_env_name(base)}; valid cameras: {valid}"
                             + ("" if valid else " (it has none: leave camera unset to use the free camera)"))
    if cameras is None:
        cameras = ([camera] if camera else []) + [c for c in valid if c != camera]
    return camera, list(dict.fromkeys(cameras))


class KeypointReward(RewardWrapper):
    """Dense KAGI reward from keypoints proposed on each episode's first frames, measured in 3-D.

    The plan (``waypoints``, ``grasp``, ``tracked``, ``camera``, ``hold``, ``fingers``) is the env's own by default:
    each of them left None is read from ``env.unwrapped.keypoint_plan`` (see
    :func:`resolve_plan`); an argument given overrides that one fact. Formula: module docstring.

    Example:
        >>> import gymnasium as gym, rewardgym
        >>> env = KeypointReward(gym.make("rewardgym/Manipulation-v0", task="push"))
        >>> env.spec_kp.grasp, env.spec_kp.waypoints, env.spec_kp.camera, env.spec_kp.views()
        ('object', ['goal'], 'front', ['front', 'top', 'side'])

    Args:
        env: a MuJoCo env exposing ``model``/``data`` (and ideally ``keypoints()``,
            ``camera_name``, ``width``, ``height``, ``keypoint_plan`` and ``instruction`` as
            rewardgym's Manipulation-v0 does).
        waypoints: ordered names of the target points; None: the env's plan.
        grasp: name of the point to grasp first; None: the env's plan (no grasp without one);
            False: no grasp stage.
        hold: how the grasp stage completes: "grasp" (closed fingers on opposite sides of the
            point, or a lift with the fingers closed) or "contact" (the tracked body touches it:
            a push or a pull; never reported as held); None: the env's plan, else "grasp".
        fingers: the finger bodies or geoms that close on the grasp point ("grasp" needs two or
            more); None: the env's plan.
        tracked: the gripper's point: a keypoint of ``env.keypoints()``, a site, a geom or a
            body (its origin); None: the env's plan.
        proposer: "ground_truth", "file" or "vlm"; ``proposer_kwargs`` go to it.
        camera: the main named camera (``info["keypoints_px"]`` is in its pixels); None: the env's
            plan, else the env's ``camera_name``, else a Gymnasium MuJoCo env's free camera.
        cameras: every view the proposer gets (None: all named cameras of the model).
        radius: metres from a waypoint that complete its stage.
        goal_radius: metres from the last waypoint that complete the last stage (reward 1);
            None: ``radius``; 0: only ``info["success"]`` (with ``success_override``) gives 1, the
            progress toward the goal rising until the goal itself.
        lift_height: metres above its reset height at which the grasp point counts as lifted
            (held if the fingers are closed and one touches it).
        hold_radius: a hold (or a contact) lasts while the grasp point is within this many
            metres of the tracked point.
        min_scale: lower bound (metres) of a stage's length ``D_s``.
        approach_scale: the first stage's length ``D_0`` (metres), the same in every episode, so
            its reward is a function of the state; None: the tracked point's distance to the
            first keypoint at reset (KAGI's; then the same state scores differently per episode).
        tail: share of each stage's progress left at ``D_s`` and spread, decreasing, over the
            distances beyond it (in [0, 1); 0: flat beyond ``D_s``).
        success_override: reward ``success_reward`` when ``info["success"]`` (KAGI's sparse override).
        success_reward: the reward on success (1: KAGI's; above 1, a bonus that pays success more
            than being close to it).
        instruction: the task in words for a VLM proposer; "": the env's ``instruction``.

    Raises:
        ValueError: no plan on the env and no ``waypoints``/``tracked`` given (the message names
            them), empty waypoints, a grasp with ``hold="grasp"`` but no ``fingers``, an unknown
            ``hold``, a point that is no keypoint/site/geom/body or a camera the env does not have
            (the message lists the valid ones), ``radius``/``lift_height``/``min_scale``/
            ``approach_scale`` not > 0, ``goal_radius`` < 0, ``tail`` outside [0, 1), an unknown proposer; at reset, a
            plan keypoint the proposer did not produce.
    """

    def __init__(self, env, waypoints: Sequence[str] | None = None, grasp: str | None | bool = None,
                 tracked: str | None = None, proposer: str = "ground_truth", proposer_kwargs: dict | None = None,
                 camera: str | None = None, cameras: Sequence[str] | None = None, width: int | None = None,
                 height: int | None = None, radius: float = 0.03, lift_height: float = 0.02, hold_radius: float = 0.06,
                 min_scale: float = 0.05, success_override: bool = True, instruction: str = "",
                 hold: str | None = None, fingers: Sequence[str] | None = None, approach_scale: float | None = 0.3,
                 tail: float = TAIL, goal_radius: float | None = None, success_reward: float = 1.0):
        plan = resolve_plan(env, waypoints, grasp, tracked, camera, hold, fingers)
        for name, value in (("radius", radius), ("lift_height", lift_height), ("hold_radius", hold_radius),
                            ("min_scale", min_scale), ("approach_scale", 1.0 if approach_scale is None else approach_scale)):
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be > 0 metres, got {value}")
        if not (np.isfinite(tail) and 0 <= tail < 1):
            raise ValueError(f"tail must be in [0, 1), got {tail}")
        if not (np.isfinite(success_reward) and success_reward >= 1):
            raise ValueError(f"success_reward must be >= 1 (the dense reward's top), got {success_reward}")
        if goal_radius is not None and not (np.isfinite(goal_radius) and goal_radius >= 0):
            raise ValueError(f"goal_radius must be >= 0 metres (or None: radius), got {goal_radius}")
        main, views = resolve_cameras(env, plan["camera"], cameras)
        super().__init__(env, waypoints=waypoints, grasp=grasp, tracked=tracked, proposer=proposer,
                         proposer_kwargs=proposer_kwargs, camera=camera, cameras=cameras, width=width, height=height,
                         radius=radius, lift_height=lift_height, hold_radius=hold_radius, min_scale=min_scale,
                         success_override=success_override, instruction=instruction, hold=hold, fingers=fingers,
                         approach_scale=approach_scale, tail=tail, goal_radius=goal_radius,
                         success_reward=success_reward)
        self.spec_kp = KeypointSpec(plan["tracked"], plan["grasp"], plan["waypoints"], main,
                                    instruction or getattr(env.unwrapped, "instruction", ""), width, height, views)
        for name in [plan["tracked"]] + ([plan["grasp"]] if plan["grasp"] else []) + plan["fingers"]:
            self.spec_kp.check_point(env, name)
        for name in plan["fingers"] if plan["grasp"] else []:
            if self.spec_kp.body_of(env, name) in (None, 0):
                raise ValueError(f"finger {name!r} must be a body, geom or site of a moving body of {_env_name(env.unwrapped)}")
        task = getattr(getattr(env.unwrapped, "task", None), "name", None) or getattr(env.unwrapped, "task_name", None)
        self.proposer = make_proposer(proposer, task=str(task or "default"), **dict(proposer_kwargs or {}))
        self.radius, self.lift_height, self.min_scale = float(radius), float(lift_height), float(min_scale)
        self.hold_radius, self.tail = float(hold_radius), float(tail)
        self.goal_radius = self.radius if goal_radius is None else float(goal_radius)
        self.approach_scale = None if approach_scale is None else float(approach_scale)
        self.hold, self.fingers = plan["hold"], plan["fingers"]
        self.judge = GraspJudge(self.hold, self.fingers, lift_height, hold_radius)
        self.success_override, self.success_reward = bool(success_override), float(success_reward)
        self.targets = np.zeros((0, 3))
        self.scales = np.zeros(0)
        self.done = np.zeros(0, dtype=bool)
        self.stage = 0
        self.proposal_log = ""

    @property
    def n_stages(self) -> int:
        return len(self.targets)

    @property
    def plan_names(self) -> list[str]:
        return ([self.spec_kp.grasp] if self.spec_kp.grasp else []) + list(self.spec_kp.waypoints)

    # --- reset: propose, lift to 3-D ------------------------------------------------------
    def _frames(self) -> dict | None:
        if not getattr(self.proposer, "needs_frames", False):
            return None
        base = self.env.unwrapped
        if getattr(self.env, "render_mode", None) != "rgb_array":
            raise ValueError("the vlm proposer needs the first frames: make the env with render_mode='rgb_array'")
        frames = {}
        for view in self.spec_kp.views():
            if view == self.spec_kp.views()[0]:
                frames[view] = self.env.render()
            elif hasattr(base, "render_camera"):
                frames[view] = base.render_camera(view)
            else:
                import mujoco

                width, height = self.spec_kp.size(self.env)
                with mujoco.Renderer(base.model, height, width) as renderer:
                    renderer.update_scene(base.data, camera=view)
                    frames[view] = renderer.render()
        return frames

    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        proposal = self.proposer(self._frames(), self.env, self.spec_kp)
        names = self.plan_names
        produced = sorted({n for px in proposal.pixels.values() for n in px} | set(proposal.points3d or {}))
        missing = [n for n in names if n not in produced]
        if missing:
            raise ValueError(f"the plan names keypoint(s) {missing} that the {type(self.proposer).__name__} did not "
                             f"produce; it produced {produced}")
        points = []
        for n in names:
            if proposal.points3d and n in proposal.points3d:
                points.append(np.asarray(proposal.points3d[n], dtype=np.float64))
            else:
                points.append(lift(self.env, self.spec_kp, {v: px[n] for v, px in proposal.pixels.items() if n in px}))
        self.targets = np.asarray(points).reshape(-1, 3)
        start = self.spec_kp.points3d(self.env, [self.spec_kp.tracked])[0]
        chain = np.vstack([start[None], self.targets])
        self.scales = np.maximum(np.linalg.norm(np.diff(chain, axis=0), axis=1), self.min_scale)
        if self.approach_scale is not None:
            self.scales[0] = max(self.approach_scale, self.min_scale)
        self.done = np.zeros(self.n_stages, dtype=bool)
        if self.spec_kp.grasp:
            self.judge.reset(self.env, self.spec_kp)
        self.stage, self.proposal_log = 0, proposal.log
        info = dict(info)
        main = self.spec_kp.views()[0]
        info["keypoints_px"] = self.spec_kp.project_points(self.env, self.targets, main)
        info["keypoints_3d"] = self.targets.copy()
        info["keypoint_views_px"] = {v: np.asarray([px[n] for n in names if n in px]).reshape(-1, 2)
                                     for v, px in proposal.pixels.items()}
        info["keypoint_proposal"] = proposal.log
        return obs, info

    # --- step -----------------------------------------------------------------------------
    def held(self) -> bool:
        """The grasp stage is complete: the grasp point held (fingers closed on it from opposite
        sides, or lifted with the fingers closed) or, with ``hold="contact"``, touched
        (:class:`~rewardgym.reward_wrappers.keypoint_grasp.GraspJudge`)."""
        held, touched = self.judge(self.env, self.spec_kp)
        return held or touched

    def contact(self) -> bool:
        """A contact between the tracked point's body (or a sub-body) and the grasp point's body."""
        return self.judge.contact(self.env)

    def reward(self, obs, env_reward, terminated, truncated, info):
        spec = self.spec_kp
        offset = 0
        held = touched = False
        if spec.grasp:
            held, touched = self.judge(self.env, spec)
            if not (held or touched):
                self.done[:] = False
                self.stage = 0
                dist = float(np.linalg.norm(spec.points3d(self.env, [spec.tracked])[0] - self.targets[0]))
                r = stage_reward(0, self.n_stages, dist, self.scales[0], self.tail)
                return self._finish(r, dist, held, touched, info)
            self.done[0], offset = True, 1
        point = spec.points3d(self.env, [spec.grasp or spec.tracked])[0]
        dists = np.linalg.norm(self.targets - point, axis=1)
        stage = offset
        for s in range(offset, self.n_stages):
            last = s == self.n_stages - 1
            keep = (self.done[s] and not last
                    and dists[s + 1] <= np.linalg.norm(self.targets[s] - self.targets[s + 1]) + self.radius)
            self.done[s] = bool(keep or dists[s] < (self.goal_radius if last else self.radius))
            if not self.done[s]:
                break
            stage = s + 1
        self.done[stage:] = False
        self.stage = stage
        dist = float(dists[stage]) if stage < self.n_stages else 0.0
        r = stage_reward(stage, self.n_stages, dist, self.scales[stage] if stage < self.n_stages else 1.0, self.tail)
        return self._finish(r, dist, held, touched, info)

    def _finish(self, r: float, dist: float, held: bool, touched: bool, info: dict):
        if self.success_override and info.get("success"):
            r = self.success_reward
        return r, {"keypoint": r, "stage": float(self.stage), "dist": dist, "held": float(held),
                   "contact": float(touched)}


def keypoint_or_ground_truth(env, **kwargs):
    """``reward=auto`` (``rewardgym-train``'s default): :class:`KeypointReward` on an env that has a
    keypoint plan (``env.unwrapped.keypoint_plan``, every rewardgym/Manipulation-v0 task) or is given
    one (``waypoints`` and ``tracked``), else ``env`` unchanged: its own ground-truth reward.

    Example:
        >>> import gymnasium as gym, rewardgym
        >>> type(keypoint_or_ground_truth(gym.make("rewardgym/Manipulation-v0", task="reach"))).__name__
        'KeypointReward'
        >>> type(keypoint_or_ground_truth(gym.make("CartPole-v1"))).__name__
        'TimeLimit'
    """
    has_plan = getattr(env.unwrapped, "keypoint_plan", None) is not None
    if has_plan or (kwargs.get("waypoints") is not None and kwargs.get("tracked") is not None):
        return KeypointReward(env, **kwargs)
    return env
