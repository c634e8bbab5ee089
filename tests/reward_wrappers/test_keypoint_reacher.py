"""The keypoint reward on a plain Gymnasium MuJoCo env: Reacher-v5 (no named camera: its
renderer's free camera), fingertip tracked toward the target."""
import gymnasium as gym
import numpy as np
import pytest
from scipy.stats import spearmanr

mujoco = pytest.importorskip("mujoco")

from rewardgym.reward_wrappers.keypoint import KeypointReward

W = H = 240


def _reacher(**kwargs):
    env = gym.make("Reacher-v5", render_mode="rgb_array", width=W, height=H)
    return KeypointReward(env, waypoints=["target"], tracked="fingertip", **kwargs)


def test_projected_target_is_where_the_red_sphere_is_drawn():
    env = _reacher()
    for seed in range(3):
        _, info = env.reset(seed=seed)
        u, v = info["keypoints_px"][0]
        frame = env.render().astype(int)
        r0, c0 = int(v) - 6, int(u) - 6
        window = frame[r0:r0 + 13, c0:c0 + 13]
        rows, cols = np.nonzero(window[..., 0] - window[..., 1] > 30)  # the target is the only red there
        assert len(rows) >= 4
        assert abs(cols.mean() + c0 + 0.5 - u) < 1.5 and abs(rows.mean() + r0 + 0.5 - v) < 1.5
    env.close()


def _reach_action(base):
    """Jacobian-transpose reaching with damping: the fingertip goes to the target."""
    tip = mujoco.mj_name2id(base.model, mujoco.mjtObj.mjOBJ_BODY, "fingertip")
    jac = np.zeros((3, base.model.nv))
    mujoco.mj_jacBody(base.model, base.data, jac, None, tip)
    err = base.data.xpos[mujoco.mj_name2id(base.model, mujoco.mjtObj.mjOBJ_BODY, "target")] - base.data.xpos[tip]
    return np.clip(100.0 * jac[:, :2].T @ err - 0.1 * base.data.qvel[:2], -1, 1)


def test_reward_rises_as_the_fingertip_reaches_the_target():
    env = _reacher(radius=3.0)
    for seed in range(3):
        env.reset(seed=seed)
        kp, dist = [], []
        for _ in range(60):
            _, r, _, _, info = env.step(_reach_action(env.unwrapped))
            kp.append(r)
            dist.append(-info["reward_dist"])
            assert info["env_reward"] == pytest.approx(info["reward_dist"] + info["reward_ctrl"])
        kp, dist = np.array(kp), np.array(dist)
        assert 0.0 <= kp.min() and kp.max() <= 1.0
        assert spearmanr(kp, -dist)[0] >= 0.8, "keypoint reward must rise as the 3D distance falls"
        assert dist[-1] < 0.02 and kp[-1] == 1.0, "reached: the single stage is complete"
    env.close()
