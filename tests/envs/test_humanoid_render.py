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
