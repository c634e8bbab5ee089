"""Views of the keypoint reward: where keypoints are seen, and how pixels become world points.

:class:`KeypointSpec` names the views (the env's cameras, or a Gymnasium MujocoEnv's free
camera) and projects world points into them; :func:`triangulate` finds the point nearest to
several views' rays (least squares: ``x = (sum_i P_i)^-1 sum_i P_i o_i`` with
``P_i = I - d_i d_i^T``); :func:`lift` turns each keypoint's pixels into a world point,
triangulated when two or more views see it, else lifted with the renderer's depth
(:func:`depth_at`). Used by :mod:`rewardgym.reward_wrappers.keypoint`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

FREE_VIEW = "free"   # the view name of a Gymnasium MujocoEnv's free camera (envs with no named camera)


def _names(model, kind) -> list[str]:
    import mujoco

    count = {mujoco.mjtObj.mjOBJ_SITE: model.nsite, mujoco.mjtObj.mjOBJ_GEOM: model.ngeom,
             mujoco.mjtObj.mjOBJ_BODY: model.nbody, mujoco.mjtObj.mjOBJ_CAMERA: model.ncam}[kind]
    return [n for n in (mujoco.mj_id2name(model, kind, i) for i in range(count)) if n]


def _env_name(base) -> str:
    return base.spec.id if getattr(base, "spec", None) else type(base).__name__


@dataclass
class KeypointSpec:
    """What to track on a MuJoCo env, and in which views to see it.

    ``camera`` is the main view (the one ``render()`` shows, whose pixels go to
    ``info["keypoints_px"]``); ``cameras`` every view the proposer gets (main view first).
    """

    tracked: str = "gripper"
    grasp: str | None = None
    waypoints: Sequence[str] = ()
    camera: str | None = None
    instruction: str = ""
    width: int | None = None
    height: int | None = None
    cameras: Sequence[str] = ()
    _base: object = field(default=None, repr=False)

    # --- named points -------------------------------------------------------------------
    def check_point(self, env, name: str) -> None:
        """Raises ``ValueError`` listing the valid names when ``name`` is no keypoint, site, geom or body."""
        import mujoco

        base = env.unwrapped
        table = base.keypoints() if hasattr(base, "keypoints") else {}
        if name in table:
            return
        for kind in (mujoco.mjtObj.mjOBJ_SITE, mujoco.mjtObj.mjOBJ_GEOM, mujoco.mjtObj.mjOBJ_BODY):
            if mujoco.mj_name2id(base.model, kind, name) >= 0:
                return
        valid = {"keypoints": sorted(table), "sites": _names(base.model, mujoco.mjtObj.mjOBJ_SITE),
                 "geoms": _names(base.model, mujoco.mjtObj.mjOBJ_GEOM),
                 "bodies": _names(base.model, mujoco.mjtObj.mjOBJ_BODY)}
        listing = "; ".join(f"{k}: {v}" for k, v in valid.items() if v)
        raise ValueError(f"no keypoint, site, geom or body named {name!r} in {_env_name(base)}. Valid names: {listing}")

    def points3d(self, env, names: Sequence[str]) -> np.ndarray:
        """World positions (N,3) of named points: the env's ``keypoints()`` where it has one, else
        a MuJoCo site, geom or body of that name (in that order; a body is its origin)."""
        import mujoco

        base = env.unwrapped
        table = base.keypoints() if hasattr(base, "keypoints") else {}
        out = []
        for name in names:
            if name in table:
                out.append(np.asarray(table[name], dtype=np.float64))
                continue
            for kind, arr in ((mujoco.mjtObj.mjOBJ_SITE, base.data.site_xpos), (mujoco.mjtObj.mjOBJ_GEOM, base.data.geom_xpos),
                              (mujoco.mjtObj.mjOBJ_BODY, base.data.xpos)):
                i = mujoco.mj_name2id(base.model, kind, name)
                if i >= 0:
                    out.append(arr[i].copy())
                    break
            else:
                self.check_point(env, name)
        return np.asarray(out, dtype=np.float64).reshape(-1, 3)

    def body_of(self, env, name: str) -> int | None:
        """The MuJoCo body a named point belongs to (a site's or geom's body; a keypoint of the
        env's table named like a body or geom), or None."""
        import mujoco

        m = env.unwrapped.model
        for kind, owner in ((mujoco.mjtObj.mjOBJ_BODY, None), (mujoco.mjtObj.mjOBJ_GEOM, m.geom_bodyid),
                            (mujoco.mjtObj.mjOBJ_SITE, m.site_bodyid)):
            i = mujoco.mj_name2id(m, kind, name)
            if i >= 0:
                return int(i if owner is None else owner[i])
        return None

    # --- views ----------------------------------------------------------------------------
    def size(self, env) -> tuple[int, int]:
        base = env.unwrapped
        width = self.width or getattr(base, "width", None)
        height = self.height or getattr(base, "height", None)
        if width is None or height is None:
            raise ValueError("keypoint reward needs width and height (from the env or as arguments)")
        return int(width), int(height)

    def views(self) -> list[str]:
        main = self.camera or FREE_VIEW
        return [main] + [c for c in self.cameras if c != main]

    def _camera(self, env, view: str):
        """A model camera name, or the free ``MjvCamera`` of a Gymnasium MujocoEnv's renderer."""
        if view != FREE_VIEW:
            return view
        base = env.unwrapped
        if not hasattr(base, "mujoco_renderer"):
            raise ValueError(f"keypoint reward needs a camera name: {_env_name(base)} has no named camera and no "
                             "Gymnasium MuJoCo renderer")
        return base.mujoco_renderer._get_viewer("rgb_array").cam

    def project(self, env, names: Sequence[str], view: str | None = None) -> np.ndarray:
        """Pixels (N,2) of named points in a view (default: the main one, the frames ``render()`` gives)."""
        return self.project_points(env, self.points3d(env, names), view)

    def project_points(self, env, points, view: str | None = None) -> np.ndarray:
        base = env.unwrapped
        width, height = self.size(env)
        view = view or self.views()[0]
        if view == FREE_VIEW:
            return project_free_camera(base, points, width, height)
        from rewardgym.envs.mujoco.camera import project

        return project(base.model, base.data, view, points, width, height)[0]

    def ray(self, env, view: str, uv) -> tuple[np.ndarray, np.ndarray]:
        """Origin and unit direction (world) of the viewing ray through pixel ``uv``."""
        base = env.unwrapped
        width, height = self.size(env)
        if view == FREE_VIEW:
            pos, forward, up, cam = _free_camera(base)
            half_h = (cam.frustum_top - cam.frustum_bottom) / 2.0
            centre_y = (cam.frustum_top + cam.frustum_bottom) / 2.0
            half_w = cam.frustum_width if cam.frustum_width > 0 else half_h * width / height
            x = ((uv[0] - width / 2.0) / (width / 2.0) * half_w + cam.frustum_center) / cam.frustum_near
            y = (-(uv[1] - height / 2.0) / (height / 2.0) * half_h + centre_y) / cam.frustum_near
            d = forward + x * np.cross(forward, up) + y * up
            return pos, d / np.linalg.norm(d)
        from rewardgym.envs.mujoco.camera import backproject

        near, far = backproject(base.model, base.data, view, [uv, uv], [1.0, 2.0], width, height)
        return near - (far - near), (far - near) / np.linalg.norm(far - near)


def _free_camera(base):
    """Position, forward and up axes of the mono camera MuJoCo renders a Gymnasium ``MujocoEnv``'s
    free/tracking camera with (the average of its two stereo eye cameras), and that camera."""
    import mujoco

    viewer = base.mujoco_renderer._get_viewer("rgb_array")
    scene = mujoco.MjvScene(base.model, maxgeom=1)
    mujoco.mjv_updateCamera(base.model, base.data, viewer.cam, scene)
    cam = mujoco.mjv_averageCamera(scene.camera[0], scene.camera[1])
    return np.asarray(cam.pos, float), np.asarray(cam.forward, float), np.asarray(cam.up, float), cam


def project_free_camera(base, points_world, width: int, height: int) -> np.ndarray:
    """Pixels of world points in a Gymnasium ``MujocoEnv``'s rendered frame when it renders with
    its default free/tracking camera (``mujoco_renderer``'s ``MjvCamera``).

    MuJoCo renders a mono frame from the average of its two stereo eye cameras; the pinhole
    model uses that camera's position, forward/up axes and frustum (``frustum_width`` 0 means
    the viewport's aspect ratio).
    """
    pos, forward, up, cam = _free_camera(base)
    rel = np.atleast_2d(points_world) - pos
    x, y, z = rel @ np.cross(forward, up), rel @ up, rel @ forward
    half_h = (cam.frustum_top - cam.frustum_bottom) / 2.0
    centre_y = (cam.frustum_top + cam.frustum_bottom) / 2.0
    half_w = cam.frustum_width if cam.frustum_width > 0 else half_h * width / height
    with np.errstate(divide="ignore", invalid="ignore"):
        u = width / 2.0 + (x * cam.frustum_near / z - cam.frustum_center) / half_w * width / 2.0
        v = height / 2.0 - (y * cam.frustum_near / z - centre_y) / half_h * height / 2.0
    return np.stack([u, v], axis=1)


def triangulate(origins, directions) -> np.ndarray:
    """The point nearest (least squares) to rays ``o_i + t d_i`` (two or more, not all parallel):
    ``x = (sum_i P_i)^-1 sum_i P_i o_i`` with ``P_i = I - d_i d_i^T``.

    Example:
        >>> triangulate([[0, 0, 1], [1, 0, 0]], [[0, 0, -1], [-1, 0, 0]]).round(6).tolist()
        [0.0, 0.0, 0.0]
    """
    o = np.asarray(origins, dtype=np.float64).reshape(-1, 3)
    d = np.asarray(directions, dtype=np.float64).reshape(-1, 3)
    d = d / np.linalg.norm(d, axis=1, keepdims=True)
    proj = np.eye(3)[None] - d[:, :, None] * d[:, None, :]
    a, b = proj.sum(0), np.einsum("nij,nj->i", proj, o)
    if len(o) < 2 or np.linalg.cond(a) > 1e8:
        raise ValueError(f"triangulation needs two or more non-parallel rays, got {len(o)}")
    return np.linalg.solve(a, b)


def depth_at(env, spec: KeypointSpec, view: str, uv) -> float:
    """Depth along the view axis of what the view shows at pixel ``uv`` (one depth render)."""
    import mujoco

    base = env.unwrapped
    width, height = spec.size(env)
    renderer = mujoco.Renderer(base.model, height, width)
    try:
        renderer.enable_depth_rendering()
        renderer.update_scene(base.data, camera=spec._camera(env, view))
        depth = renderer.render()
    finally:
        renderer.close()
    col = int(np.clip(np.floor(uv[0]), 0, width - 1))
    row = int(np.clip(np.floor(uv[1]), 0, height - 1))
    return float(depth[row, col])


def lift(env, spec: KeypointSpec, pixels: dict[str, np.ndarray]) -> np.ndarray:
    """World point of one keypoint from its pixels in each view (``{view: uv}``): triangulated
    from two or more views, else lifted with the rendered depth of the one view."""
    views = [v for v in pixels if pixels[v] is not None]
    if not views:
        raise ValueError("a keypoint needs pixels in at least one view")
    if len(views) == 1:
        view = views[0]
        uv = np.asarray(pixels[view], dtype=np.float64)
        origin, direction = spec.ray(env, view, uv)
        if view == FREE_VIEW:
            forward = _free_camera(env.unwrapped)[1]   # depth is along the forward axis
            return origin + direction * depth_at(env, spec, view, uv) / float(direction @ forward)
        from rewardgym.envs.mujoco.camera import backproject

        width, height = spec.size(env)
        return backproject(env.unwrapped.model, env.unwrapped.data, view, [uv], [depth_at(env, spec, view, uv)],
                           width, height)[0]
    rays = [spec.ray(env, v, np.asarray(pixels[v], dtype=np.float64)) for v in views]
    return triangulate([r[0] for r in rays], [r[1] for r in rays])


