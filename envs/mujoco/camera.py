"""Pinhole camera geometry of any MuJoCo camera: intrinsics, extrinsics, projection.

Conventions: pixel ``(u, v)`` with ``u`` to the right and ``v`` down, in the frame of the
rendered image array (``image[row=v, col=u]``); pixel ``i`` covers ``[i, i+1)`` so its centre is
``i + 0.5``. MuJoCo cameras look along their local -z axis with +y up. Call ``mj_forward`` (or
step) before using ``data`` so ``data.cam_xpos``/``cam_xmat`` are current (tracking cameras move).
"""
from __future__ import annotations

import mujoco
import numpy as np

from .rendering import camera_id


def intrinsics(model: mujoco.MjModel, camera: str | int, width: int, height: int) -> np.ndarray:
    """3x3 matrix K of the camera at ``width`` x ``height`` pixels (vertical field of view ``cam_fovy``)."""
    cid = camera_id(model, camera)
    fovy = np.deg2rad(model.cam_fovy[cid])
    f = 0.5 * height / np.tan(0.5 * fovy)
    return np.array([[f, 0.0, width / 2.0], [0.0, f, height / 2.0], [0.0, 0.0, 1.0]])


def extrinsics(model: mujoco.MjModel, data: mujoco.MjData, camera: str | int) -> np.ndarray:
    """4x4 world-to-camera transform in OpenCV axes (x right, y down, z forward)."""
    cid = camera_id(model, camera)
    rot_cam_to_world = data.cam_xmat[cid].reshape(3, 3)  # columns: camera x, y, z in world
    flip = np.diag([1.0, -1.0, -1.0])  # MuJoCo (x right, y up, looks -z) -> OpenCV
    r = flip @ rot_cam_to_world.T
    t = -r @ data.cam_xpos[cid]
    out = np.eye(4)
    out[:3, :3], out[:3, 3] = r, t
    return out


def project(model, data, camera, points_world, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Projects world points (N,3) to pixels (N,2); also returns their depth (N,) along the view axis."""
    pts = np.atleast_2d(np.asarray(points_world, dtype=np.float64))
    if pts.shape[-1] != 3:
        raise ValueError(f"points_world must have shape (N, 3), got {pts.shape}")
    ext = extrinsics(model, data, camera)
    cam = pts @ ext[:3, :3].T + ext[:3, 3]
    depth = cam[:, 2]
    k = intrinsics(model, camera, width, height)
    with np.errstate(divide="ignore", invalid="ignore"):
        uv = (cam @ k.T)[:, :2] / depth[:, None]
    return uv, depth


def backproject(model, data, camera, pixels, depth, width: int, height: int) -> np.ndarray:
    """Inverse of :func:`project`: pixels (N,2) at the given depths (N,) -> world points (N,3)."""
    uv = np.atleast_2d(np.asarray(pixels, dtype=np.float64))
    z = np.asarray(depth, dtype=np.float64).reshape(-1)
    if uv.shape[0] != z.shape[0]:
        raise ValueError(f"{uv.shape[0]} pixels but {z.shape[0]} depths")
    k = intrinsics(model, camera, width, height)
    cam = np.stack([(uv[:, 0] - k[0, 2]) / k[0, 0] * z, (uv[:, 1] - k[1, 2]) / k[1, 1] * z, z], axis=1)
    ext = extrinsics(model, data, camera)
    return (cam - ext[:3, 3]) @ ext[:3, :3]
