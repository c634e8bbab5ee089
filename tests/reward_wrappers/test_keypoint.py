import http.server
import json
import threading

import gymnasium as gym
import numpy as np
import pytest
from scipy.stats import spearmanr

pytest.importorskip("mujoco")

import mujoco  # noqa: E402

from rewardgym.reward_wrappers.keypoint import KeypointReward, stage_reward, triangulate  # noqa: E402
from rewardgym.reward_wrappers.keypoint_proposers import grid_candidates  # noqa: E402


def test_stage_reward_formula():
    assert stage_reward(0, 2, 10.0, 10.0) == pytest.approx(0.05)   # at the stage's length: tail / S
    assert stage_reward(0, 2, 5.0, 10.0) == pytest.approx((1 - 0.9 * 0.5) / 2)
    assert stage_reward(1, 2, 0.0, 10.0) == pytest.approx(1.0)
    assert stage_reward(2, 2, 3.0, 10.0) == 1.0
    assert stage_reward(0, 1, 20.0, 10.0) == pytest.approx(0.1 * 2 / 3)  # beyond the length: tail * 2D / (D + d)
    assert stage_reward(0, 1, 20.0, 10.0, tail=0.0) == 0.0              # tail 0: the older clipped form
    assert stage_reward(0, 2, 5.0, 10.0, tail=0.0) == pytest.approx(0.25)
    with pytest.raises(ValueError):
        stage_reward(3, 2, 0, 1)


def test_stage_reward_is_strictly_decreasing_continuous_and_bounded_everywhere():
    # No flat region: every distance farther from the waypoint scores less, within and beyond the
    # stage's length, and a stage's reward stays above the previous stage's (stages never overlap).
    dists = np.linspace(0.0, 50.0, 5001)
    for stage, n in ((0, 1), (0, 3), (2, 3)):
        r = np.array([stage_reward(stage, n, d, 0.2) for d in dists])
        assert np.all(np.diff(r) < 0) and stage / n < r.min() and r.max() <= (stage + 1) / n
    below, above = stage_reward(0, 1, 0.2 - 1e-9, 0.2), stage_reward(0, 1, 0.2 + 1e-9, 0.2)
    assert abs(below - above) < 1e-7


def test_triangulation_recovers_a_point_from_rays():
    point = np.array([0.1, -0.2, 0.45])
    origins = np.array([[0, -0.6, 0.8], [0, 0, 1.15], [0.6, 0, 0.8]])
    np.testing.assert_allclose(triangulate(origins, point - origins), point, atol=1e-12)
    with pytest.raises(ValueError, match="two or more non-parallel rays"):
        triangulate(origins[:1], (point - origins)[:1])


def _rollouts(task, episodes=10, steps=60):
    """Keypoint and ground-truth rewards of seeded expert episodes, each up to its first success
    (both rewards are then 1)."""
    from rewardgym.envs.mujoco.experts import expert_action

    env = KeypointReward(gym.make("rewardgym/Manipulation-v0", task=task))  # the task's own plan
    out = []
    for seed in range(episodes):
        env.reset(seed=seed)
        kp, gt = [], []
        for _ in range(steps):
            _, r, _, _, info = env.step(expert_action(env))
            kp.append(r)
            gt.append(info["env_reward"])
            if info["success"]:
                break
        out.append((np.array(kp), np.array(gt)))
    return out


# Per-episode Spearman floors, a little under what this reward measures (docs/rewards.md): push is
# lowest because the expert leaves the cube to walk round it, and the grasp stage then regresses.
SPEARMAN_FLOOR = {"reach": 0.95, "push": 0.6, "pick_place": 0.9, "stack": 0.9, "drawer_open": 0.8, "button_press": 0.8}


@pytest.mark.parametrize("task", ["reach", "push", "pick_place", "stack", "drawer_open", "button_press"])
def test_ground_truth_keypoints_track_expert_progress(task):
    # "Rises as the expert progresses": Spearman within each expert episode, median over 10 seeds.
    episodes = _rollouts(task)
    per_episode = [spearmanr(kp, gt)[0] for kp, gt in episodes]
    pooled = spearmanr(np.concatenate([kp for kp, _ in episodes]), np.concatenate([gt for _, gt in episodes]))[0]
    print(f"{task}: Spearman(keypoint, ground truth) per episode median {np.median(per_episode):.3f}, "
          f"pooled {pooled:.3f}")
    assert np.median(per_episode) >= SPEARMAN_FLOOR[task]
    assert all(0.0 <= kp.min() and kp.max() <= 1.0 for kp, _ in episodes)


def _set_gripper(base, pos):
    """Teleports the gripper (slide joints and servo targets) so its grip site is at ``pos``."""
    offset = np.asarray(pos) - base.grip_pos
    for i, name in enumerate(("grip_x", "grip_y", "grip_z")):
        base.data.qpos[base.model.jnt_qposadr[mujoco.mj_name2id(base.model, mujoco.mjtObj.mjOBJ_JOINT, name)]] += offset[i]
    base.data.ctrl[:3] += offset
    base._target = base.data.ctrl[:3].copy()
    mujoco.mj_forward(base.model, base.data)


def test_moving_along_the_viewing_ray_gains_nothing():
    # The old pixel reward was the same anywhere on the front camera's ray through the goal; in 3-D
    # it is highest at the goal and falls with the distance along that ray.
    env = KeypointReward(gym.make("rewardgym/Manipulation-v0", task="reach"), success_override=False)
    env.reset(seed=0)
    base = env.unwrapped
    goal = base.keypoints()["goal"]
    goal_px = env.spec_kp.project(env, ["goal"])[0]
    _, direction = env.spec_kp.ray(env, "front", goal_px)
    rewards = []
    for t in (0.0, -0.08, -0.16):             # toward the camera along the ray through the goal's pixel
        _set_gripper(base, goal + t * direction)
        np.testing.assert_allclose(env.spec_kp.project(env, ["gripper"])[0], goal_px, atol=0.5)  # same pixel
        rewards.append(env.reward(None, 0.0, False, False, {})[0])
    assert rewards[0] == 1.0 and rewards[0] > rewards[1] > rewards[2]


def test_a_grasp_is_closed_fingers_on_opposite_sides_and_regresses():
    from rewardgym.envs.mujoco.experts import expert_action

    env = KeypointReward(gym.make("rewardgym/Manipulation-v0", task="pick_place"), success_override=False)
    assert (env.hold, env.fingers) == ("grasp", ["finger_left", "finger_right"])
    env.reset(seed=0)
    stages = []
    for _ in range(40):
        _, _, _, _, info = env.step(expert_action(env))
        stages.append(env.stage)
        if env.stage >= 2:
            break
    assert env.stage >= 2 and env.held() and stages[0] == 0
    assert info["shaped_held"] == 1.0 and info["shaped_contact"] == 0.0 and env.judge.pinched(env)
    for _ in range(15):                        # let go and move up and away: the cube falls, the stage regresses
        env.step(np.array([1.0, 0.0, 1.0, -1.0]))
    assert env.stage == 0 and not env.held()


def _knock(env, seed, grip):
    """Drives the gripper (fingers open: grip -1, closed: +1) at grasp height through the cube
    along a direction that turns with the seed; returns the stages and held flags of every step,
    and whether a finger or the palm touched the cube."""
    from rewardgym.envs.mujoco.experts import GRASP_DZ

    env.reset(seed=seed)
    base = env.unwrapped
    angle = 2 * np.pi * (seed + 0.5) / 20
    u = np.array([np.cos(angle), np.sin(angle), 0.0])
    start = base.body_pos("object") - 0.1 * u + [0.0, 0.0, GRASP_DZ]
    stages, held, touched = [], [], False
    for t in range(70):
        if t < 30:                             # above the start point, then down beside the cube
            target = start + ([0.0, 0.0, 0.1] if t < 18 else [0.0, 0.0, 0.0])
            action = np.r_[np.clip((target - base.grip_pos) / base.action_scale, -1, 1), grip]
        else:                                  # then through the cube and 10 cm past it
            action = np.r_[0.5 * u, grip]
        _, _, _, _, info = env.step(action)
        stages.append(info["shaped_stage"])
        held.append(info["shaped_held"])
        touched |= env.contact()
    return stages, held, touched


@pytest.mark.parametrize("grip", [-1.0, 1.0])
def test_a_knock_is_never_a_grasp(grip):
    # An open (or already closed) gripper driven through the cube on pick_place: before, any
    # gripper-cube contact was a hold and the stage went to 1; now no post-grasp stage in 20 of 20.
    env = KeypointReward(gym.make("rewardgym/Manipulation-v0", task="pick_place"), success_override=False)
    touched = 0
    for seed in range(20):
        stages, held, hit = _knock(env, seed, grip)
        assert max(stages) == 0 and max(held) == 0.0, f"seed {seed}: a knock reached stage {max(stages)}"
        touched += hit
    assert touched >= 15, "the scripted knock must hit the cube (open fingers let it through only along y)"


def test_a_lift_needs_closed_fingers_and_a_contact_plan_is_never_held():
    env = KeypointReward(gym.make("rewardgym/Manipulation-v0", task="pick_place"), success_override=False)
    env.reset(seed=0)
    base = env.unwrapped
    _set_gripper(base, base.body_pos("object") + [0.0, 0.0, 0.06])
    base.set_free_body("object", base.grip_pos + [0.0, 0.0, -0.04])   # lifted 6 cm, beside open fingers
    mujoco.mj_forward(base.model, base.data)
    assert not base.fingers_closed and not env.held()

    push = KeypointReward(gym.make("rewardgym/Manipulation-v0", task="push"), success_override=False)
    assert push.hold == "contact"
    push.reset(seed=0)
    base = push.unwrapped
    goal = base.keypoints()["goal"]
    base.set_free_body("object", np.r_[goal[:2], base.body_pos("object")[2]])   # knocked onto the pad, untouched
    mujoco.mj_forward(base.model, base.data)
    _, r, *_ = push.step(np.zeros(4))
    assert push.stage == 0 and r < 0.5, "an object moved without contact or lift is not touched"
    from rewardgym.envs.mujoco.experts import expert_action

    push.reset(seed=0)
    infos = [push.step(expert_action(push))[4] for _ in range(40)]
    assert max(i["shaped_stage"] for i in infos) >= 1, "the expert's push completes the contact stage"
    assert max(i["shaped_contact"] for i in infos) == 1.0 and max(i["shaped_held"] for i in infos) == 0.0


class _StubVLM(http.server.BaseHTTPRequestHandler):
    answers = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _StubVLM.answers.append(body)
        content = body["messages"][0]["content"]
        assert all(c["image_url"]["url"].startswith("data:image/png;base64,") for c in content[1:])
        answer = {"front": {"grasp": None, "waypoints": ["B2"]}, "top": {"grasp": None, "waypoints": ["C3"]},
                  "side": {"grasp": None, "waypoints": ["B3"]}}
        reply = {"choices": [{"message": {"content": "Sure: " + json.dumps(answer)}}]}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_vlm_proposer_gets_every_view_and_its_answer_is_triangulated():
    server = http.server.HTTPServer(("127.0.0.1", 0), _StubVLM)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = KeypointReward(gym.make("rewardgym/Manipulation-v0", task="reach", render_mode="rgb_array", width=96,
                                      height=96), proposer="vlm",
                             proposer_kwargs={"base_url": f"http://127.0.0.1:{server.server_port}/v1", "model": "stub",
                                              "grid": 4})
        _, info = env.reset(seed=0)
        content = _StubVLM.answers[-1]["messages"][0]["content"]
        assert len(content) == 1 + 3, "the prompt, then one image per view (front, top, side)"
        assert "move the gripper" in content[0]["text"] and "front, top, side" in content[0]["text"]
        cand = grid_candidates(96, 96, 4)
        np.testing.assert_allclose(info["keypoint_views_px"]["top"], [cand["C3"]])
        rays = [env.spec_kp.ray(env, v, cand[lab]) for v, lab in (("front", "B2"), ("top", "C3"), ("side", "B3"))]
        np.testing.assert_allclose(info["keypoints_3d"][0], triangulate(*zip(*rays)), atol=1e-9)
        assert "B2" in info["keypoint_proposal"]
        _, r, *_ = env.step(np.zeros(4))
        assert 0.0 <= r <= 1.0
    finally:
        server.shutdown()


def test_file_keypoints_are_lifted_to_3d_from_two_views_or_from_one_with_depth(tmp_path):
    env = KeypointReward(gym.make("rewardgym/Manipulation-v0", task="push"))
    env.reset(seed=3)
    base = env.unwrapped
    true = {n: base.keypoints()[n] for n in ("object", "goal")}
    px = {v: {n: env.spec_kp.project(env, [n], v)[0].tolist() for n in true} for v in ("front", "top")}
    path = tmp_path / "kp.json"
    path.write_text(json.dumps({"push": px, "push_front": {"front": px["front"]}}))
    two = KeypointReward(gym.make("rewardgym/Manipulation-v0", task="push"), proposer="file",
                         proposer_kwargs={"path": str(path)})
    _, info = two.reset(seed=3)
    np.testing.assert_allclose(info["keypoints_3d"], [true["object"], true["goal"]], atol=1e-6)
    one = KeypointReward(gym.make("rewardgym/Manipulation-v0", task="push"), proposer="file",
                         proposer_kwargs={"path": str(path), "key": "push_front"})
    _, info = one.reset(seed=3)
    # depth-lifted: the visible surface at the pixel: a face of the cube (half size 2.5 cm), the pad's top
    assert np.max(np.abs(info["keypoints_3d"][0] - true["object"])) == pytest.approx(0.025, abs=2e-3)
    np.testing.assert_allclose(one.spec_kp.project_points(one, info["keypoints_3d"], "front"),
                               [px["front"]["object"], px["front"]["goal"]], atol=1e-6)
    assert np.linalg.norm(info["keypoints_3d"][1] - true["goal"]) < 0.01


def test_bad_points_cameras_and_plans_name_the_valid_ones(tmp_path):
    env = gym.make("rewardgym/Manipulation-v0", task="push")
    with pytest.raises(ValueError, match=r"no keypoint, site, geom or body named 'hand'.*keypoints: \['goal', 'gripper', .*"
                                         r"sites: \['grip_site'\]"):
        KeypointReward(env, tracked="hand")
    with pytest.raises(ValueError, match=r"camera 'wrist' is not a camera of .*valid cameras: \['front', 'top', 'side'\]"):
        KeypointReward(env, camera="wrist")
    with pytest.raises(ValueError, match=r"camera 'wrist'"):
        KeypointReward(env, cameras=["front", "wrist"])
    path = tmp_path / "kp.json"
    path.write_text(json.dumps({"push": {"front": {"object": [10, 20]}}}))
    missing = KeypointReward(env, proposer="file", proposer_kwargs={"path": str(path)})
    with pytest.raises(ValueError, match=r"plan names keypoint\(s\) \['goal'\].*it produced \['object'\]"):
        missing.reset(seed=0)
    with pytest.raises(ValueError, match=r"radius must be > 0 metres, got -1"):
        KeypointReward(env, radius=-1)


def test_tracked_point_may_be_a_keypoint_site_geom_or_body():
    env = KeypointReward(gym.make("rewardgym/Manipulation-v0", task="reach"), tracked="grip_site")
    env.reset(seed=0)
    base = env.unwrapped
    for name, expected in (("grip_site", base.grip_pos), ("finger_left", base.geom_pos("finger_left")),
                           ("gripper", base.grip_pos), ("goal", base.body_pos("goal"))):
        np.testing.assert_allclose(env.spec_kp.points3d(env, [name])[0], expected)
    gripper_body = mujoco.mj_name2id(base.model, mujoco.mjtObj.mjOBJ_BODY, "gripper")
    assert env.spec_kp.body_of(env, "grip_site") == gripper_body
    assert env.spec_kp.body_of(env, "finger_left") == mujoco.mj_name2id(base.model, mujoco.mjtObj.mjOBJ_BODY, "finger_left")


def test_plan_is_read_from_the_env_and_arguments_override_it():
    push = KeypointReward(gym.make("rewardgym/Manipulation-v0", task="push", camera="side"))
    spec = push.spec_kp
    assert (spec.tracked, spec.grasp, spec.waypoints, spec.camera) == ("gripper", "object", ["goal"], "side")
    assert spec.instruction == "push the red cube onto the green pad"
    _, info = push.reset(seed=0)
    base = push.unwrapped
    from rewardgym.envs.mujoco.camera import project

    expected, _ = project(base.model, base.data, "side", [base.keypoints()["object"], base.keypoints()["goal"]],
                          base.width, base.height)
    np.testing.assert_allclose(info["keypoints_px"], expected)  # grasp point, then the waypoint
    override = KeypointReward(gym.make("rewardgym/Manipulation-v0", task="push"), waypoints=["lift", "goal"],
                              grasp=False, camera="top", instruction="nudge it")
    spec = override.spec_kp
    assert (spec.tracked, spec.grasp, spec.waypoints, spec.camera) == ("gripper", None, ["lift", "goal"], "top")
    assert spec.instruction == "nudge it"
    _, info = override.reset(seed=0)
    assert info["keypoints_px"].shape == (2, 2)


def test_an_edited_task_table_entry_is_the_plan(monkeypatch):
    import dataclasses

    from rewardgym.envs.mujoco.manipulation_tasks import TASKS

    monkeypatch.setitem(TASKS, "push", dataclasses.replace(TASKS["push"], grasp_keypoint=None, waypoints=["lift", "goal"]))
    env = KeypointReward(gym.make("rewardgym/Manipulation-v0", task="push"))
    assert (env.spec_kp.grasp, env.spec_kp.waypoints) == (None, ["lift", "goal"])
    _, info = env.reset(seed=0)
    assert info["keypoints_px"].shape == (2, 2) and env.n_stages == 2


def test_an_env_without_a_plan_needs_the_plan_as_arguments():
    reacher = gym.make("Reacher-v5")
    with pytest.raises(ValueError, match=r"needs waypoints and tracked: Reacher-v5 has no keypoint_plan"):
        KeypointReward(reacher)
    with pytest.raises(ValueError, match=r"needs tracked: .*tracked=\.\.\."):
        KeypointReward(reacher, waypoints=["target"])
    env = KeypointReward(reacher, waypoints=["target"], tracked="fingertip")
    assert (env.spec_kp.grasp, env.spec_kp.camera) == (None, None)


def test_bad_arguments():
    env = gym.make("rewardgym/Manipulation-v0", task="reach")
    with pytest.raises(ValueError, match="waypoints"):
        KeypointReward(env, waypoints=[])
    with pytest.raises(ValueError, match="grasp must be"):
        KeypointReward(env, grasp=3)
    with pytest.raises(ValueError, match=r"hold must be one of \('grasp', 'contact'\), got 'pinch'"):
        KeypointReward(env, hold="pinch")
    with pytest.raises(ValueError, match=r"a grasp stage needs the fingers that close on 'goal'"):
        KeypointReward(env, grasp="goal", fingers=["finger_left"])
    with pytest.raises(ValueError, match=r"finger 'table' must be a body, geom or site of a moving body"):
        KeypointReward(env, grasp="goal", fingers=["finger_left", "table"])
    with pytest.raises(ValueError, match=r"no keypoint, site, geom or body named 'thumb'"):
        KeypointReward(env, grasp="goal", fingers=["finger_left", "thumb"])
    with pytest.raises(ValueError, match="proposer"):
        KeypointReward(env, waypoints=["goal"], proposer="magic")
    with pytest.raises(ValueError, match=r"goal_radius must be >= 0 metres \(or None: radius\), got -0.01"):
        KeypointReward(env, goal_radius=-0.01)
    with pytest.raises(ValueError, match=r"success_reward must be >= 1 \(the dense reward's top\), got 0.5"):
        KeypointReward(env, success_reward=0.5)


def test_success_reward_pays_success_above_the_dense_top():
    from rewardgym.envs.experts import expert_for

    env = KeypointReward(gym.make("rewardgym/Manipulation-v0", task="reach"), success_reward=2.0)
    policy, _ = expert_for(env)
    obs, info = env.reset(seed=0)
    rewards, wins = [], []
    for _ in range(50):
        obs, r, _, _, info = env.step(policy(env, obs, info, None))
        rewards.append(r)
        wins.append(info["success"])
    assert any(wins) and not all(wins)
    assert all(r == 2.0 for r, w in zip(rewards, wins) if w)
    assert all(0.0 < r <= 1.0 for r, w in zip(rewards, wins) if not w)


def test_file_proposer_keyed_by_task_and_vlm_needs_a_frame(tmp_path):
    path = tmp_path / "kp.json"
    path.write_text(json.dumps({"reach": {"grasp": None, "waypoints": [[10, 20], [30, 40]]}}))
    env = KeypointReward(gym.make("rewardgym/Manipulation-v0", task="reach"), waypoints=["goal"], proposer="file",
                         proposer_kwargs={"path": str(path)})
    _, info = env.reset(seed=0)
    np.testing.assert_allclose(info["keypoints_px"], [[10, 20]], atol=1e-6)  # the plan has one waypoint
    with pytest.raises(ValueError, match="has no entry 'push'; it has \\['reach'\\]"):
        KeypointReward(gym.make("rewardgym/Manipulation-v0", task="push"), waypoints=["goal"], proposer="file",
                       proposer_kwargs={"path": str(path)})
    no_frames = KeypointReward(gym.make("rewardgym/Manipulation-v0", task="reach"), waypoints=["goal"],
                               proposer="vlm", proposer_kwargs={"query": lambda pngs, prompt: "{}"})
    with pytest.raises(ValueError, match="render_mode"):
        no_frames.reset(seed=0)
