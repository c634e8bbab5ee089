"""A fast offscreen renderer for any MuJoCo model: one ``mujoco.Renderer``, costly effects off.

Gymnasium's default ``render()`` path draws shadows, reflections and the skybox; under Mesa's
software OpenGL (llvmpipe, what these machines have) those cost most of the frame time. This
renderer turns them off by default (switchable) and is created once per env.
"""
from __future__ import annotations

import os

os.environ.setdefault("MUJOCO_GL", "egl")

import mujoco  # noqa: E402
import numpy as np  # noqa: E402


class FastRenderer:
    """Renders uint8 HxWx3 frames of ``model``/``data`` from a named (or numbered) camera.

    Args:
        model: the MjModel. Its offscreen buffer is enlarged when ``width``/``height`` need it.
        width, height: frame size in pixels.
        camera: camera name or id (-1: MuJoCo's default free camera), or an ``MjvCamera``.
        shadows, reflections, skybox: MuJoCo render flags (off by default: much faster on CPU).
    """

    def __init__(self, model: mujoco.MjModel, width: int = 224, height: int = 224, camera: str | int = -1,
                 shadows: bool = False, reflections: bool = False, skybox: bool = False):
        if width <= 0 or height <= 0:
            raise ValueError(f"width and height must be positive, got {width}x{height}")
        model.vis.global_.offwidth = max(model.vis.global_.offwidth, width)
        model.vis.global_.offheight = max(model.vis.global_.offheight, height)
        self.model, self.width, self.height = model, width, height
        self.camera = camera if isinstance(camera, mujoco.MjvCamera) else camera_id(model, camera)
        self._renderer = mujoco.Renderer(model, height=height, width=width)
        flags = self._renderer.scene.flags
        flags[mujoco.mjtRndFlag.mjRND_SHADOW] = shadows
        flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = reflections
        flags[mujoco.mjtRndFlag.mjRND_SKYBOX] = skybox

    def render(self, data: mujoco.MjData, camera: str | int | mujoco.MjvCamera | None = None) -> np.ndarray:
        """A frame from the default camera, a named/numbered camera, or a free ``MjvCamera``."""
        cam = self.camera if camera is None else camera if isinstance(camera, mujoco.MjvCamera) else camera_id(self.model, camera)
        self._renderer.update_scene(data, camera=cam)
        return self._renderer.render()

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None


def camera_id(model: mujoco.MjModel, camera: str | int) -> int:
    """Camera id of a name or id, with an error naming the valid cameras."""
    if isinstance(camera, (int, np.integer)):
        if not -1 <= camera < model.ncam:
            raise ValueError(f"camera id {camera} out of range: the model has {model.ncam} cameras")
        return int(camera)
    cid = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_CAMERA, camera)
    if cid < 0:
        names = [mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_CAMERA, i) for i in range(model.ncam)]
        raise ValueError(f"unknown camera {camera!r}; the model has {names}")
    return cid
