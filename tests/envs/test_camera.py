import numpy as np
import pytest

mujoco = pytest.importorskip("mujoco")

from rewardgym.envs.mujoco.camera import backproject, extrinsics, intrinsics, project  # noqa: E402
from rewardgym.envs.mujoco.rendering import FastRenderer  # noqa: E402

POINT = np.array([0.12, -0.07, 0.31])
XML = f"""
<mujoco>
  <visual><headlight ambient="1 1 1" diffuse="0 0 0" specular="0 0 0"/></visual>
  <worldbody>
    <geom type="plane" size="2 2 0.1" rgba="0 0 0 1"/>
    <body name="marker" pos="{POINT[0]} {POINT[1]} {POINT[2]}">
      <geom type="sphere" size="0.006" rgba="1 0 0 1" contype="0" conaffinity="0"/></body>
    <camera name="oblique" pos="0.5 -0.6 0.9" xyaxes="0.77 0.64 0 -0.4 0.48 0.78" fovy="50"/>
    <camera name="top" pos="0 0 1.2" xyaxes="1 0 0 0 1 0" fovy="40"/>
  </worldbody>
</mujoco>"""


def _marker_centroid(img):
    red = (img[..., 0] > 128) & (img[..., 1] < 80) & (img[..., 2] < 80)
    assert red.sum() > 0, "marker not visible"
    rows, cols = np.nonzero(red)
    return np.array([cols.mean() + 0.5, rows.mean() + 0.5])  # pixel centres at +0.5


@pytest.mark.parametrize("camera", ["oblique", "top"])
@pytest.mark.parametrize("size", [(160, 120), (320, 240)])
def test_projected_marker_matches_render(camera, size):
    width, height = size
    model = mujoco.MjModel.from_xml_string(XML)
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    img = FastRenderer(model, width, height, camera).render(data)
    uv, depth = project(model, data, camera, POINT[None], width, height)
    assert depth[0] > 0
    np.testing.assert_allclose(uv[0], _marker_centroid(img), atol=1.0)
    back = backproject(model, data, camera, uv, depth, width, height)
    np.testing.assert_allclose(back[0], POINT, atol=1e-9)


def test_intrinsics_extrinsics_shapes_and_bad_camera():
    model = mujoco.MjModel.from_xml_string(XML)
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    k = intrinsics(model, "top", 100, 80)
    assert k[0, 2] == 50 and k[1, 2] == 40 and k[0, 0] == k[1, 1]
    ext = extrinsics(model, data, "top")
    np.testing.assert_allclose(ext[:3, :3] @ ext[:3, :3].T, np.eye(3), atol=1e-9)
    with pytest.raises(ValueError, match="unknown camera"):
        intrinsics(model, "nope", 10, 10)
