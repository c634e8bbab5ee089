"""rewardgym/MetaWorld-v0: Meta-World v3 tasks, unedited, through rewardgym's configs and rewards."""
from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import rewardgym  # noqa: F401
from rewardgym.envs.metaworld.tasks import TASKS
from rewardgym.envs.metaworld.env import resolve_task

ROOT = Path(__file__).resolve().parents[2]


def test_task_names_resolve_and_unknown_ones_list_close_names():
    assert resolve_task("push") == resolve_task("push-v3") == "push-v3"
    assert resolve_task("drawer_open") == "drawer-open-v3"
    with pytest.raises(ValueError, match=r"unknown Meta-World task 'pushh'.*'push'"):
        resolve_task("pushh")
    with pytest.raises(ValueError, match="task must be"):
        resolve_task("")


def test_every_task_has_an_env_config():
    configs = {p.stem for p in (ROOT / "conf" / "env").glob("mw_*.yaml")}
    assert configs == {"mw_" + t.replace("-", "_") for t in TASKS}
    assert len(configs) >= 8


metaworld = pytest.importorskip("metaworld")
mujoco = pytest.importorskip("mujoco")
needs_33 = pytest.mark.skipif(not mujoco.__version__.startswith("3.3."),
                              reason=f"Meta-World 3.1.1 runs on mujoco 3.3 (this is {mujoco.__version__})")
pytestmark = needs_33


def make(task, **kwargs):
    return gym.make("rewardgym/MetaWorld-v0", task=task, **kwargs)


def test_reset_is_seeded_and_randomized():
    env = make("push")
    a, _ = env.reset(seed=3)
    b, _ = env.reset(seed=3)
    c, _ = env.reset(seed=4)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a[-3:], c[-3:])           # the goal moved (it is in the observation)
    fixed = make("push", randomize=False)
    x, _ = fixed.reset(seed=3)
    fixed.step(fixed.action_space.sample())
    y, _ = fixed.reset()
    np.testing.assert_array_equal(x[-3:], y[-3:])


@pytest.mark.parametrize("task", sorted(TASKS))
def test_plan_points_are_where_meta_world_measures_at_every_reset(task):
    """The waypoint is Meta-World's ``_target_pos`` and the grasp point its object, from the first
    step of every episode (Meta-World alone leaves the goal site at the last episode's goal)."""
    from rewardgym.reward_wrappers.keypoint import KeypointReward

    env = KeypointReward(make(task))
    # the drawer's objGeom is 3.2 cm behind the handle point, the buttons' btnGeom 1.3 cm from the top, the faucet's site 1 cm above
    offset = {"drawer-open": 0.033, "button-press": 0.014, "button-press-topdown": 0.014}.get(task, 0.011)
    for seed in range(4):
        env.reset(seed=seed)
        base = env.unwrapped.mw
        assert np.linalg.norm(env.targets[-1] - base._target_pos) < 1e-9, seed
        if len(env.targets) > 1:
            assert np.linalg.norm(env.targets[0] - base._get_pos_objects()[:3]) < offset, seed


def test_step_contract_success_is_a_bool_and_time_limit_is_meta_worlds():
    env = make("reach")
    assert env.spec.max_episode_steps == 500
    env.reset(seed=0)
    _, reward, terminated, truncated, info = env.step(env.action_space.sample())
    assert isinstance(info["success"], bool) and isinstance(reward, float)
    assert not terminated and not truncated


@pytest.mark.parametrize("task", sorted(TASKS))
def test_every_plan_names_the_models_own_points_and_the_expert_succeeds(task):
    """The plan's points exist in the model, the keypoint reward builds from it, and Meta-World's
    scripted policy of the task reaches success with the keypoint reward at 1 there."""
    from rewardgym.envs.experts import expert_for
    from rewardgym.reward_wrappers.keypoint import KeypointReward

    env = KeypointReward(make(task))
    policy, _ = expert_for(env)
    assert policy is not None
    obs, info = env.reset(seed=0)
    rewards, stages, successes = [], [], []
    for _ in range(200):
        obs, r, terminated, truncated, info = env.step(policy(env, obs, info, None))
        rewards.append(r)
        stages.append(info["shaped_stage"])
        successes.append(info["success"])
    assert any(successes), f"{task}: Meta-World's expert did not succeed in 200 steps"
    assert all(r == 1.0 for r, s in zip(rewards, successes) if s)
    if TASKS[task].grasp:   # the expert touched (or grasped) the plan's object: its first stage completed
        assert max(stages) >= 1, f"{task}: the plan's first stage never completed on Meta-World's expert"
    assert 0.0 < min(rewards) and max(rewards) <= 1.0


def test_a_contact_plan_moves_through_its_stages_on_the_expert():
    from rewardgym.envs.experts import expert_for
    from rewardgym.reward_wrappers.keypoint import KeypointReward

    env = KeypointReward(make("drawer-open"), success_override=False)
    policy, _ = expert_for(env)
    obs, info = env.reset(seed=1)
    stages = []
    for _ in range(150):
        obs, r, *_, info = env.step(policy(env, obs, info, None))
        stages.append(info["shaped_stage"])
    assert stages[0] == 0 and max(stages) >= 1     # the handle was reached and pulled


def test_pick_place_plan_is_a_real_grasp():
    """An open gripper pushed through the puck never completes pick-place's grasp stage."""
    from rewardgym.reward_wrappers.keypoint import KeypointReward

    env = KeypointReward(make("pick-place"), success_override=False)
    for seed in range(3):
        env.reset(seed=seed)
        base = env.unwrapped.mw
        held = []
        for _ in range(80):
            delta = base._get_pos_objects() - base.tcp_center
            action = np.append(np.clip(delta * 10 + np.array([0, 0.5, -0.2]), -1, 1), -1.0)   # open, through it
            *_, info = env.step(action.astype(np.float32))
            held.append(info["shaped_held"])
        assert max(held) == 0.0


def test_frames_are_upright_and_the_corner_cameras_were_turned():
    env = make("push", render_mode="rgb_array", width=64, height=48)
    env.reset(seed=0)
    frame = env.render()
    assert frame.shape == (48, 64, 3) and frame.dtype == np.uint8
    assert {"corner", "corner2", "corner3", "corner4"} <= set(env.get_wrapper_attr("turned_cameras"))
    base = env.unwrapped
    cam = mujoco.mj_name2id(base.model, mujoco.mjtObj.mjOBJ_CAMERA, "corner")
    assert base.data.cam_xmat[cam].reshape(3, 3)[2, 1] > 0     # the image's up points up


def test_train_runs_on_a_meta_world_config_with_the_keypoint_reward(tmp_path, train_cli):
    proc = train_cli("env=mw_reach", "reward=keypoint", "agent.total_timesteps=1024", "eval.episodes=1",
                  "checkpoint_freq=1000000", f"hydra.run.dir={tmp_path}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    import json

    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["reward"].endswith("KeypointReward") and metrics["env"] == "rewardgym/MetaWorld-v0"


def test_clip_reward_scores_rendered_meta_world_frames(tmp_path, train_cli):
    """reward=clip on a Meta-World config: frames rendered from the corner camera, scored by the
    bundled CLIP with the task's own prompts (the env's goal_prompts), the scores reach PPO."""
    proc = train_cli("env=mw_drawer_open", "reward=clip", "agent.total_timesteps=256", "agent.n_envs=2",
                  "agent.ppo.n_steps=64", "agent.ppo.batch_size=64", "agent.ppo.n_epochs=1", "eval.episodes=1",
                  "env.max_episode_steps=50", "checkpoint_freq=1000000", f"hydra.run.dir={tmp_path}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(next((tmp_path / "tb").glob("PPO_*")))).Reload()
    assert "shaped/clip" in events.Tags()["scalars"]
    assert events.Scalars("reward/shaped_mean")[-1].value != 0.0


@pytest.mark.parametrize("overrides, message", [
    (["env=mw_push", "env.kwargs.task=pushh"], "unknown Meta-World task 'pushh'; close names"),
    (["env=mw_push", "reward=keypoint", "reward.waypoints=[goall]"], "no keypoint, site, geom or body named 'goall'"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, overrides, message, train_cli):
    proc = train_cli(*overrides, "agent.total_timesteps=64", f"hydra.run.dir={tmp_path}", timeout=300)
    assert proc.returncode == 2, proc.stderr[-2000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert message in last


def test_missing_meta_world_extra_is_one_line_and_exit_2(tmp_path, train_cli):
    fake = tmp_path / "fake"
    (fake / "metaworld").mkdir(parents=True)
    (fake / "metaworld" / "__init__.py").write_text("raise ImportError(\"No module named 'metaworld'\")\n")
    proc = train_cli("env=mw_push", "agent.total_timesteps=64", f"hydra.run.dir={tmp_path / 'run'}",
                  env_vars={"PYTHONPATH": str(fake)}, timeout=300)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "pip install 'rewardgym[metaworld]'" in proc.stderr.strip().splitlines()[-1]
