"""The shared fast renderer (envs/mujoco/rendering.py) on the humanoid scene."""
import gymnasium as gym
import numpy as np
import pytest

mujoco = pytest.importorskip("mujoco")

from rewardgym.envs.mujoco.rendering import FastRenderer, FreeCamera  # noqa: E402


def _humanoid(x: float):
    env = gym.make("rewardgym/HumanoidPose-v0")
    env.reset(seed=0)
    base = env.unwrapped
    qpos = base.data.qpos.copy()
    qpos[0] = x
    base.set_pose(qpos)
    return base


def test_free_camera_follows_the_tracked_body():
    near, far = _humanoid(0.0), _humanoid(5.0)
    tracking = FreeCamera(lookat=(0, 0, 0.9), distance=3.0, track_body="torso")
    fixed = FreeCamera(lookat=(0, 0, 0.9), distance=3.0)
    r = FastRenderer(near.model, 48, 48, tracking)
    a, b = r.render(near.data), r.render(far.data)
    c = r.render(far.data, camera=fixed)  # per-call override, no tracking: the body left the frame
    d = r.render(near.data, camera=fixed)
    r.close()
    same, moved = np.abs(a.astype(int) - b.astype(int)).mean(), np.abs(c.astype(int) - d.astype(int)).mean()
    assert same < 0.5 and moved > 2.0, (same, moved)


def test_flags_default_off_and_switchable_and_errors():
    base = _humanoid(0.0)
    r = FastRenderer(base.model, 32, 32, "track")
    flags = r._renderer.scene.flags
    assert not any(flags[f] for f in (mujoco.mjtRndFlag.mjRND_SHADOW, mujoco.mjtRndFlag.mjRND_REFLECTION,
                                       mujoco.mjtRndFlag.mjRND_SKYBOX))
    r.set_flags(skybox=True)
    assert flags[mujoco.mjtRndFlag.mjRND_SKYBOX] and not flags[mujoco.mjtRndFlag.mjRND_SHADOW]
    img = r.render(base.data)
    assert img.shape == (32, 32, 3) and img.dtype == np.uint8
    r.close()
    r.close()  # idempotent
    with pytest.raises(ValueError, match="unknown camera 'nope'"):
        FastRenderer(base.model, 32, 32, "nope")
    with pytest.raises(ValueError, match="unknown body 'tail'"):
        FastRenderer(base.model, 32, 32, FreeCamera(track_body="tail"))
    with pytest.raises(ValueError, match="distance"):
        FreeCamera(distance=0)


@pytest.mark.parametrize("antialias", [False, True])
def test_coarse_floor_grid_draws_the_same_frames_as_humanoid_v5s(antialias):
    """The floor's rendering grid is 1 m (FLOOR_GRID) instead of Humanoid-v5's 0.125 m: half the
    cost of a frame, the same frames up to a few pixels where the body meets the floor (measured:
    at most 0.15% of the pixels of a frame), and no change to the physics (a plane collides
    infinitely)."""
    from rewardgym.envs.mujoco.humanoid_pose_v0 import FLOOR_GRID

    env = gym.make("rewardgym/HumanoidPose-v0", task="kneel")
    base = env.unwrapped
    floor = mujoco.mj_name2id(base.model, mujoco.mjtObj.mjOBJ_GEOM, "floor")
    assert base.model.geom_size[floor, 2] == FLOOR_GRID == 1.0
    env.reset(seed=3)
    rng = np.random.default_rng(0)
    frames_coarse, frames_fine, qpos = [], [], []
    for _ in range(6):
        env.step(rng.uniform(-0.4, 0.4, 17))
        qpos.append(base.data.qpos.copy())
        frames_coarse.append(base.render_frame(64, 64, antialias).copy())
    base._close_sized_frames()
    base.model.geom_size[floor, 2] = 0.125  # Humanoid-v5's grid; the renderer reads it when it is made
    for q in qpos:
        base.set_pose(q)
        frames_fine.append(base.render_frame(64, 64, antialias).copy())
    for a, b in zip(frames_coarse, frames_fine):
        differ = np.any(a != b, axis=-1)
        assert differ.mean() < 0.005, differ.mean()
        assert np.abs(a.astype(int) - b.astype(int)).mean() < 0.1
    # physics: the same actions from the same state give the same trajectory with either grid
    twin = gym.make("rewardgym/HumanoidPose-v0", task="kneel")
    twin.unwrapped.model.geom_size[floor, 2] = 0.125
    env.reset(seed=5)
    twin.reset(seed=5)
    for _ in range(20):
        a = rng.uniform(-0.4, 0.4, 17)
        assert np.array_equal(env.step(a)[0], twin.step(a)[0])
    env.close()
    twin.close()
