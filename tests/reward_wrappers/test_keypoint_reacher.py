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
    env = _reacher(radius=0.02)
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


def test_goal_radius_zero_keeps_paying_for_closeness_inside_the_radius():
    # The default completes the last stage (reward 1) anywhere within `radius` of the goal: a flat
    # top. With goal_radius=0 the reward keeps rising to the goal and is 1 only there.
    flat, sharp = _reacher(radius=0.03, success_override=False), _reacher(radius=0.03, success_override=False,
                                                                         goal_radius=0.0)
    for env in (flat, sharp):
        env.reset(seed=0)
    trace = {"flat": [], "sharp": []}
    for _ in range(80):
        action = _reach_action(flat.unwrapped)
        for name, env in (("flat", flat), ("sharp", sharp)):
            _, r, _, _, info = env.step(action)
            d = float(np.linalg.norm(env.spec_kp.points3d(env, ["fingertip"])[0] - env.targets[0]))
            trace[name].append((d, r, info["shaped_stage"]))
    inside = [(d, r, st) for d, r, st in trace["sharp"] if 0.001 < d < 0.03]
    assert len(inside) >= 3, "the reach passes through the 3 cm ball"
    assert all(r == 1.0 and st == 1 for d, r, st in trace["flat"] if d < 0.03)
    assert all(r < 1.0 and st == 0 for _, r, st in inside)
    ds, rs = np.array([d for d, _, _ in inside]), np.array([r for _, r, _ in inside])
    assert spearmanr(rs, -ds)[0] > 0.99, "inside the radius the reward still orders states by distance"
    flat.close(), sharp.close()


def _reset_distribution_states(env, episodes=96, steps=10):
    """Rewards and 3-D fingertip-target distances of Reacher-v5 states from its own reset
    distribution: each episode reset with its seed, then ``steps`` random actions."""
    rewards, dists = [], []
    for seed in range(episodes):
        env.reset(seed=seed)
        env.action_space.seed(seed)
        for _ in range(steps):
            _, r, *_ = env.step(env.action_space.sample())
        rewards.append(r)
        dists.append(np.linalg.norm(env.spec_kp.points3d(env, ["fingertip"])[0] - env.targets[0]))
    return np.array(rewards), np.array(dists)


def test_reward_orders_every_state_of_the_reset_distribution_by_distance():
    # With the clipped form (tail 0) and the first stage's length taken from each reset (KAGI),
    # 26 of these 96 states scored exactly 0 and Spearman with -distance was 0.66; the tail
    # alone keeps that 0.66 (the same state scored differently per episode), a fixed first-stage
    # length makes it a function of the distance.
    env = _reacher(success_override=False)
    rewards, dists = _reset_distribution_states(env)
    far = dists >= env.radius                          # closer than radius the stage is complete (r = 1)
    assert spearmanr(rewards, -dists)[0] >= 0.9
    assert rewards.min() > 0 and len(np.unique(rewards[far])) == len(np.unique(dists[far]))  # no ties
    old = _reacher(success_override=False, approach_scale=None, tail=0.0)
    old_rewards, old_dists = _reset_distribution_states(old)
    assert (old_rewards == 0).sum() >= 20 and spearmanr(old_rewards, -old_dists)[0] < 0.7
    env.close()
    old.close()


def test_reward_orders_arm_states_of_one_episode_beyond_the_reset_distance():
    # One episode (target and stage length fixed), arm joints drawn from Reacher's own reset
    # distribution and uniformly over the circle: every state farther away scores less.
    env = _reacher(success_override=False)
    probe = gym.make("Reacher-v5").unwrapped
    rng = np.random.default_rng(0)
    for seed in range(3):
        env.reset(seed=seed)
        base = env.unwrapped
        qpos, qvel = base.data.qpos.copy(), base.data.qvel.copy()
        rewards, dists = [], []
        for k in range(96):
            q = qpos.copy()
            if k % 2:
                probe.reset(seed=1000 + k)
                q[:2] = probe.data.qpos[:2]
            else:
                q[:2] = rng.uniform(-np.pi, np.pi, 2)
            base.set_state(q, qvel)
            rewards.append(env.reward(None, 0.0, False, False, {})[0])
            dists.append(np.linalg.norm(env.spec_kp.points3d(env, ["fingertip"])[0] - env.targets[0]))
        rewards, dists = np.array(rewards), np.array(dists)
        far = dists >= env.radius
        assert spearmanr(rewards[far], -dists[far])[0] == pytest.approx(1.0)
        assert rewards.min() > 0 and len(np.unique(rewards[far])) == far.sum()
    env.close()


def test_one_free_camera_view_is_lifted_with_the_rendered_depth(tmp_path):
    # Reacher has no named camera: a file proposer's pixels in its one (free-camera) view are lifted
    # to 3-D with the renderer's depth; the target sphere (radius 9 mm) is hit on its surface.
    import json

    env = _reacher()
    env.reset(seed=0)
    target = env.spec_kp.points3d(env, ["target"])[0]
    path = tmp_path / "kp.json"
    path.write_text(json.dumps({"reacher": {"free": {"target": env.spec_kp.project(env, ["target"])[0].tolist()}}}))
    lifted = _reacher(proposer="file", proposer_kwargs={"path": str(path), "key": "reacher"})
    _, info = lifted.reset(seed=0)
    assert np.linalg.norm(info["keypoints_3d"][0] - target) < 0.012
    env.close()
    lifted.close()


def test_pusher_tracks_a_fingertip_geom_and_pushes_the_object_by_contact():
    # Pusher has no fingers: its first stage is a contact (hold="contact"), never a grasp
    with pytest.raises(ValueError, match=r"a grasp stage needs the fingers that close on 'object'.*Pusher-v5 has no "
                                         r"fingers.*hold='contact'"):
        KeypointReward(gym.make("Pusher-v5"), tracked="tip_arml", grasp="object", waypoints=["goal"])
    env = KeypointReward(gym.make("Pusher-v5", render_mode="rgb_array", width=W, height=H), tracked="tip_arml",
                         grasp="object", waypoints=["goal"], hold="contact")
    _, info = env.reset(seed=0)
    base = env.unwrapped
    np.testing.assert_allclose(info["keypoints_3d"], [base.get_body_com("object"), base.get_body_com("goal")], atol=1e-9)
    tip = base.data.geom_xpos[mujoco.mj_name2id(base.model, mujoco.mjtObj.mjOBJ_GEOM, "tip_arml")]
    np.testing.assert_allclose(env.spec_kp.points3d(env, ["tip_arml"])[0], tip)
    for _ in range(5):
        _, r, *_, info = env.step(np.zeros(7))
        assert 0.0 <= r <= 0.5 and env.stage == 0 and not env.contact()   # the arm is far from the object
        assert info["shaped_held"] == 0.0 and info["shaped_contact"] == 0.0
    with pytest.raises(ValueError, match=r"named 'tips'.*geoms: \[.*'tip_arml', 'tip_armr'.*bodies: \[.*'tips_arm'"):
        KeypointReward(gym.make("Pusher-v5"), tracked="tips", waypoints=["goal"])
    with pytest.raises(ValueError, match=r"camera 'top' is not a camera of Pusher-v5; valid cameras: \[\] \(it has none"):
        KeypointReward(gym.make("Pusher-v5"), tracked="tip_arml", waypoints=["goal"], camera="top")
    env.close()
