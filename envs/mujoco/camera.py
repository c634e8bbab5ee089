"""Pinhole camera geometry of any MuJoCo camera: intrinsics, extrinsics, projection.

Works for any MuJoCo model (rewardgym's scenes, Gymnasium's MuJoCo envs, other suites), for
fixed cameras, cameras mounted on moving bodies, tracking cameras (``mode="track"``,
``"targetbody"``...) and for MuJoCo's free camera given as a ``mujoco.MjvCamera`` (what
Gymnasium's ``MujocoRenderer`` uses when an env names no camera).

Conventions: pixel ``(u, v)`` with ``u`` to the right and ``v`` down, in the frame of the
rendered image array (``image[row=v, col=u]``); pixel ``i`` covers ``[i, i+1)`` so its centre is
``i + 0.5``. MuJoCo cameras look along their local -z axis with +y up; :func:`extrinsics`
returns OpenCV axes (x right, y down, z forward), so depth is positive in front of the camera.
Call ``mj_forward`` (or step) before using ``data`` so ``data.cam_xpos``/``cam_xmat`` are
current. The vertical field of view is ``model.cam_fovy`` (``model.vis.global_.fovy`` for the
free camera) and pixels are square, as in MuJoCo's renderer.

Example:
    >>> import mujoco, numpy as np
    >>> model = mujoco.MjModel.from_xml_string(
    ...     "<mujoco><worldbody><camera name='top' pos='0 0 1' fovy='90'/></worldbody></mujoco>")
    >>> data = mujoco.MjData(model); mujoco.mj_forward(model, data)
    >>> uv, depth = project(model, data, "top", [[0.5, 0.0, 0.0]], 100, 100)
    >>> uv.round(3).tolist(), depth.tolist()
    ([[75.0, 50.0]], [1.0])
    >>> backproject(model, data, "top", uv, depth, 100, 100).round(6).tolist()
    [[0.5, 0.0, 0.0]]
"""
from __future__ import annotations

import mujoco
import numpy as np

from .checks import check_size
from .rendering import camera_id

__all__ = ["intrinsics", "extrinsics", "project", "backproject", "camera_pose"]

_MJ_TO_CV = np.diag([1.0, -1.0, -1.0])  # MuJoCo camera axes (x right, y up, looks -z) -> OpenCV


def _orthographic(model: mujoco.MjModel, cid: int) -> bool:
    """MuJoCo 4 has ``cam_projection`` (``projection="orthographic"`` in MJCF); 3.3 and older have
    the boolean ``cam_orthographic`` (``orthographic="true"``)."""
    if hasattr(model, "cam_projection"):
        return int(model.cam_projection[cid]) != int(mujoco.mjtProjection.mjPROJ_PERSPECTIVE)
    return bool(model.cam_orthographic[cid])


def _model_camera(model: mujoco.MjModel, camera) -> int:
    """Id of a model camera, refusing what a pinhole with square pixels cannot describe."""
    cid = camera_id(model, camera)
    if cid < 0:
        raise ValueError("camera -1 is MuJoCo's free camera: pass the mujoco.MjvCamera you render with")
    if _orthographic(model, cid):
        raise ValueError(f"camera {camera!r} is orthographic; only perspective cameras are supported")
    if np.any(model.cam_sensorsize[cid] > 0):
        raise ValueError(f"camera {camera!r} sets sensorsize/focal; only fovy cameras are supported")
    return cid


def _free_pose(cam: mujoco.MjvCamera) -> tuple[np.ndarray, np.ndarray]:
    """Position and camera-to-world rotation (MuJoCo axes) of a free MjvCamera."""
    if cam.type != mujoco.mjtCamera.mjCAMERA_FREE:
        raise ValueError(f"only free MjvCameras are supported (type {cam.type}); pass a model camera's name or id")
    az, el = np.deg2rad(cam.azimuth), np.deg2rad(cam.elevation)
    forward = np.array([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)])
    up = np.array([-np.sin(el) * np.cos(az), -np.sin(el) * np.sin(az), np.cos(el)])
    right = np.cross(forward, up)
    pos = np.asarray(cam.lookat, dtype=np.float64) - cam.distance * forward
    return pos, np.stack([right, up, -forward], axis=1)


def camera_pose(model: mujoco.MjModel, data: mujoco.MjData, camera) -> tuple[np.ndarray, np.ndarray]:
    """``(position (3,), rotation (3,3))`` of the camera in the world; rotation columns are the
    camera's x (right), y (up) and z (backward) axes, MuJoCo's convention."""
    if isinstance(camera, mujoco.MjvCamera):
        return _free_pose(camera)
    cid = _model_camera(model, camera)
    return data.cam_xpos[cid].copy(), data.cam_xmat[cid].reshape(3, 3).copy()


def intrinsics(model: mujoco.MjModel, camera, width: int, height: int) -> np.ndarray:
    """3x3 matrix K of the camera at ``width`` x ``height`` pixels (square pixels, principal
    point at the image centre, focal length from the vertical field of view)."""
    check_size(width, height)
    if isinstance(camera, mujoco.MjvCamera):
        fovy = float(model.vis.global_.fovy)
    else:
        fovy = float(model.cam_fovy[_model_camera(model, camera)])
    f = 0.5 * height / np.tan(0.5 * np.deg2rad(fovy))
    return np.array([[f, 0.0, width / 2.0], [0.0, f, height / 2.0], [0.0, 0.0, 1.0]])


def extrinsics(model: mujoco.MjModel, data: mujoco.MjData, camera) -> np.ndarray:
    """4x4 world-to-camera transform in OpenCV axes (x right, y down, z forward)."""
    pos, rot_cam_to_world = camera_pose(model, data, camera)
    r = _MJ_TO_CV @ rot_cam_to_world.T
    out = np.eye(4)
    out[:3, :3], out[:3, 3] = r, -r @ pos
    return out


def project(model: mujoco.MjModel, data: mujoco.MjData, camera, points_world, width: int,
            height: int) -> tuple[np.ndarray, np.ndarray]:
    """Projects world points (N,3) to pixels (N,2) ``(u, v)``; also returns their depth (N,)
    along the view axis (positive in front of the camera; points behind it get depth <= 0 and
    meaningless pixels, so check the depth)."""
    pts = np.atleast_2d(np.asarray(points_world, dtype=np.float64))
    if pts.ndim != 2 or pts.shape[-1] != 3:
        raise ValueError(f"points_world must have shape (N, 3), got {np.shape(points_world)}")
    if not np.all(np.isfinite(pts)):
        raise ValueError(f"points_world must be finite, got {pts.tolist()}")
    ext = extrinsics(model, data, camera)
    cam = pts @ ext[:3, :3].T + ext[:3, 3]
    depth = cam[:, 2]
    k = intrinsics(model, camera, width, height)
    with np.errstate(divide="ignore", invalid="ignore"):
        uv = (cam @ k.T)[:, :2] / depth[:, None]
    return uv, depth


def backproject(model: mujoco.MjModel, data: mujoco.MjData, camera, pixels, depth, width: int,
                height: int) -> np.ndarray:
    """Inverse of :func:`project`: pixels (N,2) at the given depths (N,) -> world points (N,3).

    ``depth`` is the distance along the view axis (what :func:`project` returns), not along the
    ray; a depth image from ``mujoco.Renderer.enable_depth_rendering`` is already this.
    """
    uv = np.atleast_2d(np.asarray(pixels, dtype=np.float64))
    z = np.asarray(depth, dtype=np.float64).reshape(-1)
    if uv.ndim != 2 or uv.shape[-1] != 2:
        raise ValueError(f"pixels must have shape (N, 2), got {np.shape(pixels)}")
    if uv.shape[0] != z.shape[0]:
        raise ValueError(f"{uv.shape[0]} pixels but {z.shape[0]} depths")
    k = intrinsics(model, camera, width, height)
    cam = np.stack([(uv[:, 0] - k[0, 2]) / k[0, 0] * z, (uv[:, 1] - k[1, 2]) / k[1, 1] * z, z], axis=1)
    ext = extrinsics(model, data, camera)
    return (cam - ext[:3, 3]) @ ext[:3, :3]
