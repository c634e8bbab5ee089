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


# --- Gymnasium's Reacher-v5 model: cameras on moving bodies, tracking and free cameras ------
def _reacher_with_cameras():
    """Gymnasium's own reacher.xml plus three cameras of kinds a fixed world camera is not."""
    gym_mujoco = pytest.importorskip("gymnasium.envs.mujoco")
    import os

    path = os.path.join(os.path.dirname(gym_mujoco.__file__), "assets", "reacher.xml")
    spec = mujoco.MjSpec.from_file(path)
    spec.worldbody.add_camera(name="aim", pos=[0.45, -0.5, 0.6], mode=mujoco.mjtCamLight.mjCAMLIGHT_TARGETBODY,
                              targetbody="fingertip", fovy=50)
    spec.body("body0").add_camera(name="onarm", pos=[0.0, -0.35, 0.45], xyaxes=[1, 0, 0, 0, 0.8, 0.6], fovy=60)
    spec.body("body1").add_camera(name="trackcom", pos=[0.05, 0.0, 0.6], mode=mujoco.mjtCamLight.mjCAMLIGHT_TRACKCOM,
                                  fovy=55)
    model = spec.compile()
    data = mujoco.MjData(model)
    data.qpos[:4] = [0.7, -1.1, 0.12, -0.08]  # arm bent, target moved off its default place
    mujoco.mj_forward(model, data)
    return model, data


def _segment_centroid(model, data, camera, width, height, geom):
    renderer = mujoco.Renderer(model, height=height, width=width)
    renderer.enable_segmentation_rendering()
    renderer.update_scene(data, camera=camera)
    seg = renderer.render()[..., 0]
    renderer.close()
    gid = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, geom)
    rows, cols = np.nonzero(seg == gid)
    assert rows.size > 0, f"geom {geom!r} not visible from {camera}"
    return np.array([cols.mean() + 0.5, rows.mean() + 0.5])


@pytest.mark.parametrize("camera", ["aim", "onarm", "trackcom", "free"])
@pytest.mark.parametrize("size", [(128, 96), (240, 240)])
def test_reacher_target_projects_onto_its_pixels(camera, size):
    width, height = size
    model, data = _reacher_with_cameras()
    if camera == "free":  # MuJoCo's free camera, as Gymnasium's MujocoRenderer builds it
        camera = mujoco.MjvCamera()
        mujoco.mjv_defaultFreeCamera(model, camera)
        camera.azimuth, camera.elevation, camera.distance = 120.0, -50.0, 0.8
    for geom in ("target", "fingertip"):
        centre = data.geom_xpos[mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, geom)]
        uv, depth = project(model, data, camera, centre[None], width, height)
        assert depth[0] > 0
        # the centroid of a sphere's silhouette lies within a fraction of a pixel of the
        # projected centre at these sizes (perspective shift ~ r^2 / depth^2)
        np.testing.assert_allclose(uv[0], _segment_centroid(model, data, camera, width, height, geom), atol=1.0)
        np.testing.assert_allclose(backproject(model, data, camera, uv, depth, width, height)[0], centre, atol=1e-9)


def test_refuses_cameras_it_cannot_describe():
    ortho = "projection='orthographic'" if hasattr(mujoco.MjModel, "cam_projection") else "orthographic='true'"
    model = mujoco.MjModel.from_xml_string(
        f"<mujoco><worldbody><camera name='ortho' {ortho} fovy='1'/>"
        "<camera name='sensor' sensorsize='0.01 0.01' resolution='100 100' focal='0.01 0.01'/></worldbody></mujoco>")
    data = mujoco.MjData(model)
    with pytest.raises(ValueError, match="orthographic"):
        project(model, data, "ortho", [[0, 0, -1]], 10, 10)
    with pytest.raises(ValueError, match="sensorsize"):
        intrinsics(model, "sensor", 10, 10)
    with pytest.raises(ValueError, match="free camera"):
        intrinsics(model, -1, 10, 10)
    with pytest.raises(ValueError, match=r"\(N, 3\)"):
        project(model, data, 0, [[1.0, 2.0]], 10, 10)
