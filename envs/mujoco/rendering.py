"""A fast offscreen renderer for any MuJoCo model: one ``mujoco.Renderer``, costly effects off.

Gymnasium's default ``render()`` path draws shadows, reflections and the skybox; under Mesa's
software OpenGL (llvmpipe, what these machines have) those cost most of the frame time. This
renderer turns them off by default (switchable: they are ``mjtRndFlag`` entries of the
renderer's scene flags) and is meant to be created once per env and reused for every frame.

A camera is a model camera (name or id), ``-1`` for MuJoCo's default free camera, a
:class:`FreeCamera` (look-at point, distance, azimuth, elevation; optionally following a body),
or a ``mujoco.MjvCamera`` that the caller owns and updates itself.

Example:
    >>> import mujoco
    >>> model = mujoco.MjModel.from_xml_string(
    ...     "<mujoco><worldbody><light pos='0 0 3'/><geom size='.1'/></worldbody></mujoco>")
    >>> data = mujoco.MjData(model)
    >>> renderer = FastRenderer(model, 64, 48, FreeCamera(lookat=(0, 0, 0), distance=1.0))
    >>> renderer.render(data).shape, renderer.render(data).dtype
    ((48, 64, 3), dtype('uint8'))
    >>> renderer.close()
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import mujoco
import numpy as np

from .checks import check_size

__all__ = ["FastRenderer", "FreeCamera", "SizedFrames", "camera_id"]
_INHERITED: list = []  # a forked child's copies of its parent's renderers: kept, never freed here


@dataclass(frozen=True)
class FreeCamera:
    """A free camera: it looks at ``lookat`` from ``distance`` metres away.

    Attributes:
        lookat: world point (x, y, z) the camera looks at; with ``track_body`` it is an
            offset added to that body's position every frame.
        distance: metres from the look-at point.
        azimuth: degrees about the world z axis (90 looks along +y, i.e. from the -y side).
        elevation: degrees; negative looks down.
        track_body: optional body name; the look-at point then follows that body in x and y
            (its height stays ``lookat[2]`` so the floor does not bob in the frame).
    """

    lookat: tuple[float, float, float] = (0.0, 0.0, 0.0)
    distance: float = 3.0
    azimuth: float = 90.0
    elevation: float = -10.0
    track_body: str | None = None

    def __post_init__(self):
        if not np.isfinite(self.distance) or self.distance <= 0:
            raise ValueError(f"FreeCamera.distance must be a positive number, got {self.distance}")
        if len(self.lookat) != 3:
            raise ValueError(f"FreeCamera.lookat must be (x, y, z), got {self.lookat!r}")


class FastRenderer:
    """Renders uint8 HxWx3 frames of ``model``/``data`` from a camera.

    Args:
        model: the MjModel. Its offscreen buffer is enlarged when ``width``/``height`` need it.
        width, height: frame size in pixels.
        camera: camera name or id, ``-1`` for MuJoCo's default free camera, a
            :class:`FreeCamera`, or an ``mujoco.MjvCamera`` the caller keeps updating.
        shadows, reflections, skybox: MuJoCo render flags (off by default: much faster on CPU).
        antialias: MuJoCo's multisampling (``vis.quality.offsamples``); off costs about a quarter
            of the time under software OpenGL.
        slices: tessellation of round geoms for this renderer (``vis.quality.numslices``, and half
            as many ``numstacks``); None keeps the model's (28 and 16 by default). Under
            software OpenGL each triangle costs: 16 draws a 96-px humanoid in about half the time.

    Raises:
        ValueError: non-positive size, unknown camera name/id or tracked body.
    """

    def __init__(self, model: mujoco.MjModel, width: int = 224, height: int = 224,
                 camera: str | int | FreeCamera | mujoco.MjvCamera = -1, shadows: bool = False,
                 reflections: bool = False, skybox: bool = False, antialias: bool = True, slices: int | None = None):
        check_size(width, height)
        if slices is not None and (isinstance(slices, bool) or int(slices) != slices or slices < 3):
            raise ValueError(f"slices must be an integer >= 3 or None, got {slices!r}")
        model.vis.global_.offwidth = max(model.vis.global_.offwidth, width)
        model.vis.global_.offheight = max(model.vis.global_.offheight, height)
        self.model, self.width, self.height = model, width, height
        self.camera, self._track = self._resolve(camera)
        self._quality = (antialias, slices)
        self._flags = {"shadows": shadows, "reflections": reflections, "skybox": skybox}
        self._renderer = self._new_renderer()

    def _new_renderer(self) -> mujoco.Renderer:
        """A ``mujoco.Renderer`` of this process (its GL context cannot serve a forked child: see
        ``egl_fork.py``), with this renderer's quality and flags."""
        # multisampling and the tessellation of spheres, capsules and cylinders are fixed when the
        # GL context is made: set for this one only (offsamples 0; numslices, numstacks = slices/2)
        antialias, slices = self._quality
        quality = self.model.vis.quality
        saved = (quality.offsamples, quality.numslices, quality.numstacks)
        if not antialias:
            quality.offsamples = 0
        if slices is not None:
            quality.numslices, quality.numstacks = int(slices), max(2, int(slices) // 2)
        try:
            renderer = mujoco.Renderer(self.model, height=self.height, width=self.width)
        finally:
            quality.offsamples, quality.numslices, quality.numstacks = saved
        self._pid = os.getpid()
        self._renderer = renderer
        self.set_flags(**self._flags)
        return renderer

    def _forked(self) -> bool:
        """True (once) in a forked child: the parent's renderer is kept, unused; a new one is made."""
        if self._pid == os.getpid():
            return False
        _INHERITED.append(self._renderer)  # freeing it here would wait for the parent's render threads
        self._renderer = None
        return True

    def set_flags(self, shadows: bool | None = None, reflections: bool | None = None,
                  skybox: bool | None = None) -> None:
        """Switches the costly effects on or off (``None`` leaves a flag as it is)."""
        flags = self._renderer.scene.flags
        for flag, value in ((mujoco.mjtRndFlag.mjRND_SHADOW, shadows),
                            (mujoco.mjtRndFlag.mjRND_REFLECTION, reflections),
                            (mujoco.mjtRndFlag.mjRND_SKYBOX, skybox)):
            if value is not None:
                flags[flag] = bool(value)
        self._flags = {"shadows": bool(flags[mujoco.mjtRndFlag.mjRND_SHADOW]),
                       "reflections": bool(flags[mujoco.mjtRndFlag.mjRND_REFLECTION]),
                       "skybox": bool(flags[mujoco.mjtRndFlag.mjRND_SKYBOX])}

    def _resolve(self, camera):
        """(camera id or MjvCamera, (tracked body id, look-at offset) or None)."""
        if isinstance(camera, mujoco.MjvCamera):  # caller-owned camera, used as it is each frame
            return camera, None
        if not isinstance(camera, FreeCamera):
            return camera_id(self.model, camera), None
        cam = mujoco.MjvCamera()
        cam.type = mujoco.mjtCamera.mjCAMERA_FREE
        cam.lookat[:] = camera.lookat
        cam.distance, cam.azimuth, cam.elevation = camera.distance, camera.azimuth, camera.elevation
        track = None
        if camera.track_body is not None:
            bid = mujoco.mj_name2id(self.model, mujoco.mjtObj.mjOBJ_BODY, camera.track_body)
            if bid < 0:
                raise ValueError(f"unknown body {camera.track_body!r} for FreeCamera.track_body")
            track = (bid, np.array(camera.lookat, dtype=np.float64))
        return cam, track

    def render(self, data: mujoco.MjData, camera: str | int | FreeCamera | None = None) -> np.ndarray:
        """The frame of ``data`` as uint8 (height, width, 3); ``camera`` overrides the default."""
        cam, track = (self.camera, self._track) if camera is None else self._resolve(camera)
        if track is not None:
            bid, offset = track
            cam.lookat[:2] = data.xpos[bid, :2] + offset[:2]
            cam.lookat[2] = offset[2]
        if self._renderer is None or self._forked():
            self._renderer = self._new_renderer()
        self._renderer.update_scene(data, camera=cam)
        return self._renderer.render()

    def close(self) -> None:
        """Frees the OpenGL context (idempotent); a later :meth:`render` makes a new one."""
        if self._renderer is not None and not self._forked():
            self._renderer.close()
            self._renderer = None


class SizedFrames:
    """Mixin of rewardgym's MuJoCo envs: :meth:`render_frame` renders the env's camera at any
    size, whatever the observation's size and ``render_mode`` (e.g. at a reward model's input
    size, so rendering costs what the model needs). The env provides ``model``, ``data``,
    ``_frame_camera()`` and ``render_flags``; it calls :meth:`_close_sized_frames` in ``close``."""

    def render_frame(self, width: int, height: int, antialias: bool = True, slices: int | None = None) -> np.ndarray:
        """uint8 (height, width, 3) frame of the current state; one renderer per size and quality
        (``antialias``, ``slices``: see :class:`FastRenderer`), made on first use."""
        renderers = self.__dict__.setdefault("_sized_renderers", {})
        key = (int(width), int(height), bool(antialias), slices)
        if key not in renderers:
            renderers[key] = FastRenderer(self.model, key[0], key[1], self._frame_camera(), antialias=key[2],
                                          slices=slices, **getattr(self, "render_flags", {}))
        return renderers[key].render(self.data)

    def _close_sized_frames(self) -> None:
        for renderer in self.__dict__.pop("_sized_renderers", {}).values():
            renderer.close()


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
