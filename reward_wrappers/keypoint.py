"""KAGI keypoint reward (Lee et al. 2024, "Affordance-Guided RL via Visual Prompting").

Keypoints are proposed once, on the first frame of each episode: an optional grasp point
``k_0`` and ordered waypoints ``k_1..k_K`` to the goal, all in image pixels. The task is then a
chain of ``S = K + [grasp]`` stages. In stage ``s`` the tracked point ``p_t`` (the gripper
before the grasp, the grasped keypoint's object after it; the gripper throughout when there
is no grasp), projected to pixels with the same camera, must reach target ``k_s``::

    d_t   = |p_t - k_s|                          (pixels)
    d_s0  = d at the step stage s began
    r_t   = (s + 1 - min(d_t / d_s0, 1)) / S     in [0, 1]

Stage ``s`` is complete when ``d_t < radius`` (pixels); stages only advance. The grasp stage
also completes once the grasped point has moved more than ``moved_radius`` pixels from where it
was at reset: the object is being handled (a drawer handle pulled, a cube pushed) even where the
gripper's point and the grasp point do not meet within ``radius`` in the image. When the env's
sparse success signal ``info["success"]`` is true the reward is 1 (it overrides the dense one,
as in KAGI).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from .base import RewardWrapper


def stage_reward(stage: int, n_stages: int, dist: float, start_dist: float) -> float:
    """``(stage + 1 - min(dist / start_dist, 1)) / n_stages``; see the module docstring."""
    if n_stages < 1 or not 0 <= stage <= n_stages:
        raise ValueError(f"stage must be in [0, {n_stages}] with n_stages >= 1, got {stage}, {n_stages}")
    if stage == n_stages:
        return 1.0
    frac = min(dist / start_dist, 1.0) if start_dist > 0 else 0.0
    return (stage + 1.0 - frac) / n_stages


@dataclass
class KeypointSpec:
    """What to track on a MuJoCo env, and how to see it."""

    tracked: str = "gripper"
    grasp: str | None = None
    waypoints: Sequence[str] = ()
    camera: str | None = None
    instruction: str = ""
    width: int | None = None
    height: int | None = None
    _base: object = field(default=None, repr=False)

    def points3d(self, env, names: Sequence[str]) -> np.ndarray:
        """World positions of named points: the env's ``keypoints()`` where it has one, else
        MuJoCo sites or bodies of that name (any MuJoCo Gymnasium env)."""
        import mujoco

        base = env.unwrapped
        table = base.keypoints() if hasattr(base, "keypoints") else {}
        out = []
        for name in names:
            if name in table:
                out.append(table[name])
                continue
            sid = mujoco.mj_name2id(base.model, mujoco.mjtObj.mjOBJ_SITE, name)
            if sid >= 0:
                out.append(base.data.site_xpos[sid].copy())
                continue
            bid = mujoco.mj_name2id(base.model, mujoco.mjtObj.mjOBJ_BODY, name)
            if bid < 0:
                raise KeyError(f"no keypoint, site or body named {name!r} in {base.spec.id if base.spec else base}")
            out.append(base.data.xpos[bid].copy())
        return np.asarray(out, dtype=np.float64)

    def project(self, env, names: Sequence[str]) -> np.ndarray:
        """Pixels (N,2) of named points in the frames the env renders.

        With a named model camera (``camera`` or the env's ``camera_name``) this is
        :func:`rewardgym.envs.mujoco.camera.project`; without one, on a Gymnasium ``MujocoEnv``
        (e.g. Reacher-v5), the free camera of its renderer is used (:func:`project_free_camera`).
        """
        base = env.unwrapped
        camera = self.camera or getattr(base, "camera_name", None)
        width = self.width or getattr(base, "width", None)
        height = self.height or getattr(base, "height", None)
        if width is None or height is None:
            raise ValueError("keypoint reward needs width and height (from the env or as arguments)")
        points = self.points3d(env, names)
        if camera is None:
            if not hasattr(base, "mujoco_renderer"):
                raise ValueError("keypoint reward needs a camera name (the env has no camera_name and no "
                                 "Gymnasium MuJoCo renderer)")
            return project_free_camera(base, points, width, height)
        from rewardgym.envs.mujoco.camera import project

        px, _ = project(base.model, base.data, camera, points, width, height)
        return px


def project_free_camera(base, points_world, width: int, height: int) -> np.ndarray:
    """Pixels of world points in a Gymnasium ``MujocoEnv``'s rendered frame when it renders with
    its default free/tracking camera (``mujoco_renderer``'s ``MjvCamera``).

    MuJoCo renders a mono frame from the average of its two stereo eye cameras; the pinhole
    model uses that camera's position, forward/up axes and frustum (``frustum_width`` 0 means
    the viewport's aspect ratio).
    """
    import mujoco

    viewer = base.mujoco_renderer._get_viewer("rgb_array")
    scene = mujoco.MjvScene(base.model, maxgeom=1)
    mujoco.mjv_updateCamera(base.model, base.data, viewer.cam, scene)
    cam = mujoco.mjv_averageCamera(scene.camera[0], scene.camera[1])
    forward, up = np.asarray(cam.forward, float), np.asarray(cam.up, float)
    rel = np.atleast_2d(points_world) - np.asarray(cam.pos, float)
    x, y, z = rel @ np.cross(forward, up), rel @ up, rel @ forward
    half_h = (cam.frustum_top - cam.frustum_bottom) / 2.0
    centre_y = (cam.frustum_top + cam.frustum_bottom) / 2.0
    half_w = cam.frustum_width if cam.frustum_width > 0 else half_h * width / height
    with np.errstate(divide="ignore", invalid="ignore"):
        u = width / 2.0 + (x * cam.frustum_near / z - cam.frustum_center) / half_w * width / 2.0
        v = height / 2.0 - (y * cam.frustum_near / z - centre_y) / half_h * height / 2.0
    return np.stack([u, v], axis=1)


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
                 tracked: str | None = None, camera: str | None = None) -> dict:
    """The keypoint plan of ``env``: each argument given wins, each None is read from
    ``env.unwrapped.keypoint_plan`` (rewardgym's Manipulation-v0 has one per task).

    ``grasp=False`` means "no grasp stage" even where the env's plan has one. Without a plan,
    ``waypoints`` and ``tracked`` must be given (``ValueError`` names the missing ones); ``grasp``
    is then none and ``camera`` the env's ``camera_name`` (or a Gymnasium env's free camera).

    Returns:
        ``{"waypoints": [...], "grasp": str | None, "tracked": str, "camera": str | None}``.
    """
    plan = getattr(env.unwrapped, "keypoint_plan", None)
    given = {"waypoints": waypoints, "grasp": grasp, "tracked": tracked, "camera": camera}
    out = {k: (getattr(plan, k) if v is None and plan is not None else v) for k, v in given.items()}
    missing = [k for k in ("waypoints", "tracked") if out[k] is None]
    if missing:
        name = env.unwrapped.spec.id if env.unwrapped.spec else type(env.unwrapped).__name__
        raise ValueError(f"keypoint reward needs {' and '.join(missing)}: {name} has no keypoint_plan; pass "
                         + ", ".join(f"{k}=..." for k in missing))
    if isinstance(out["waypoints"], str) or len(out["waypoints"]) == 0:
        raise ValueError(f"waypoints must be a non-empty list of point names, got {out['waypoints']!r}")
    if out["grasp"] is False:
        out["grasp"] = None
    elif out["grasp"] is not None and not isinstance(out["grasp"], str):
        raise ValueError(f"grasp must be a point name, None (the env's plan) or False (no grasp), got {out['grasp']!r}")
    out["waypoints"] = list(out["waypoints"])
    return out


class KeypointReward(RewardWrapper):
    """Dense KAGI reward from keypoints proposed on each episode's first frame.

    The plan (``waypoints``, ``grasp``, ``tracked``, ``camera``) is the env's own by default:
    each of them left None is read from ``env.unwrapped.keypoint_plan`` (see
    :func:`resolve_plan`); an argument given overrides that one fact.

    Example:
        >>> import gymnasium as gym, rewardgym
        >>> env = KeypointReward(gym.make("rewardgym/Manipulation-v0", task="push"))
        >>> env.spec_kp.grasp, env.spec_kp.waypoints, env.spec_kp.camera
        ('object', ['goal'], 'front')

    Args:
        env: a MuJoCo env exposing ``model``/``data`` (and ideally ``keypoints()``,
            ``camera_name``, ``width``, ``height``, ``keypoint_plan`` and ``instruction`` as
            rewardgym's Manipulation-v0 does).
        waypoints: ordered names of the target points (projected by the ground-truth proposer);
            None: the env's plan.
        grasp: name of the point to grasp first; None: the env's plan (no grasp without one);
            False: no grasp stage.
        tracked: name of the gripper point; None: the env's plan.
        proposer: "ground_truth", "file" or "vlm"; ``proposer_kwargs`` go to it.
        camera: the named camera whose pixels are measured; None: the env's plan, else the
            env's ``camera_name``, else a Gymnasium MuJoCo env's free camera.
        radius: pixel distance that completes a stage.
        moved_radius: the grasp stage also completes once the grasped point has moved this many
            pixels from its position at reset (``None``: the same as ``radius``; ``inf``: never).
        success_override: reward 1 when ``info["success"]`` (KAGI's sparse override).
        instruction: the task in words for a VLM proposer; "": the env's ``instruction``.

    Raises:
        ValueError: no plan on the env and no ``waypoints``/``tracked`` given (the message names
            them), empty waypoints, ``radius``/``moved_radius`` not > 0, an unknown proposer.
    """

    def __init__(self, env, waypoints: Sequence[str] | None = None, grasp: str | None | bool = None,
                 tracked: str | None = None, proposer: str = "ground_truth", proposer_kwargs: dict | None = None,
                 camera: str | None = None, width: int | None = None, height: int | None = None, radius: float = 6.0,
                 moved_radius: float | None = None, success_override: bool = True, instruction: str = ""):
        plan = resolve_plan(env, waypoints, grasp, tracked, camera)
        if not radius > 0:
            raise ValueError(f"radius must be > 0 pixels, got {radius}")
        if moved_radius is not None and not moved_radius > 0:
            raise ValueError(f"moved_radius must be > 0 pixels or None, got {moved_radius}")
        super().__init__(env, waypoints=waypoints, grasp=grasp, tracked=tracked, proposer=proposer,
                         proposer_kwargs=proposer_kwargs, camera=camera, width=width, height=height, radius=radius,
                         moved_radius=moved_radius, success_override=success_override, instruction=instruction)
        self.spec_kp = KeypointSpec(plan["tracked"], plan["grasp"], plan["waypoints"], plan["camera"],
                                    instruction or getattr(env.unwrapped, "instruction", ""), width, height)
        task = getattr(getattr(env.unwrapped, "task", None), "name", None) or getattr(env.unwrapped, "task_name", None)
        self.proposer = make_proposer(proposer, task=str(task or "default"), **dict(proposer_kwargs or {}))
        self.radius, self.success_override = float(radius), bool(success_override)
        self.moved_radius = float(radius if moved_radius is None else moved_radius)
        self.grasp_start_px = None
        self.targets = np.zeros((0, 2))
        self.stage, self.start_dist = 0, 1.0
        self.proposal_log = ""

    @property
    def n_stages(self) -> int:
        return len(self.targets)

    def _tracked_name(self) -> str:
        grasped = self.spec_kp.grasp is not None and self.stage >= 1
        return self.spec_kp.grasp if grasped else self.spec_kp.tracked

    def _dist(self) -> float:
        p = self.spec_kp.project(self.env, [self._tracked_name()])[0]
        return float(np.linalg.norm(p - self.targets[self.stage]))

    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        frame = self.env.render() if getattr(self.env, "render_mode", None) == "rgb_array" else None
        grasp, waypoints, log = self.proposer(frame, self.env, self.spec_kp)
        self.targets = np.vstack(([grasp] if grasp is not None else []) + [np.asarray(waypoints).reshape(-1, 2)])
        self.stage, self.proposal_log = 0, log
        self.start_dist = max(self._dist(), 1e-6)
        self.grasp_start_px = (self.spec_kp.project(self.env, [self.spec_kp.grasp])[0]
                               if self.spec_kp.grasp is not None else None)
        info = dict(info)
        info["keypoints_px"] = self.targets.copy()
        info["keypoint_proposal"] = log
        return obs, info

    def _grasped_point_moved(self) -> bool:
        if self.stage != 0 or self.grasp_start_px is None or not np.isfinite(self.moved_radius):
            return False
        now = self.spec_kp.project(self.env, [self.spec_kp.grasp])[0]
        return float(np.linalg.norm(now - self.grasp_start_px)) > self.moved_radius

    def reward(self, obs, env_reward, terminated, truncated, info):
        dist = self._dist() if self.stage < self.n_stages else 0.0
        while self.stage < self.n_stages and (dist < self.radius or self._grasped_point_moved()):
            self.stage += 1
            dist = self._dist() if self.stage < self.n_stages else 0.0
            self.start_dist = max(dist, 1e-6)
        r = stage_reward(self.stage, self.n_stages, dist, self.start_dist)
        if self.success_override and info.get("success"):
            r = 1.0
        return r, {"keypoint": r, "stage": float(self.stage), "dist_px": dist}
