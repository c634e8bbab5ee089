"""rewardgym/Fetch-v0: Gymnasium-Robotics' Fetch tasks, unedited, through rewardgym's configs and rewards."""
from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import rewardgym  # noqa: F401
from rewardgym.envs.fetch.env import resolve_task
from rewardgym.envs.fetch.tasks import TASKS

ROOT = Path(__file__).resolve().parents[2]


def test_task_names_resolve_and_unknown_ones_list_close_names():
    assert resolve_task("pick_and_place") == resolve_task("pick-and-place") == resolve_task("PickAndPlace")
    with pytest.raises(ValueError, match=r"unknown Fetch task 'pusj'; close names: \['push'\]"):
        resolve_task("pusj")
    with pytest.raises(ValueError, match="task must be"):
        resolve_task("")


def test_every_task_has_an_env_config():
    assert {p.stem for p in (ROOT / "conf" / "env").glob("fetch_*.yaml")} == {f"fetch_{t}" for t in TASKS}


pytest.importorskip("gymnasium_robotics")
mujoco = pytest.importorskip("mujoco")
pytestmark = pytest.mark.skipif(int(mujoco.__version__.split(".")[0]) >= 4,
                                reason=f"Gymnasium-Robotics 1.4.2's Fetch fails on mujoco 4 (this is {mujoco.__version__})")


def make(task: str, **kwargs):
    return gym.make("rewardgym/Fetch-v0", task=task, **kwargs)


def _site(env, name):
    base = env.unwrapped
    return base.data.site_xpos[mujoco.mj_name2id(base.model, mujoco.mjtObj.mjOBJ_SITE, name)].copy()


@pytest.mark.parametrize("task", sorted(TASKS))
def test_observation_is_fetchs_own_and_the_target_site_is_at_the_goal_from_reset(task):
    env = make(task)
    ref = gym.make(f"Fetch{''.join(w.title() for w in task.split('_'))}-v4")
    for seed in range(3):
        obs, info = env.reset(seed=seed)
        own, _ = ref.reset(seed=seed)
        # Gymnasium-Robotics' own env from the same seed draws the same scene: the flat vector is its dict
        assert np.array_equal(obs, np.concatenate([own["observation"], own["desired_goal"]]))
        assert obs.shape == env.observation_space.shape and isinstance(info["success"], bool)
        assert np.allclose(_site(env, "target0"), env.unwrapped.fetch.goal)
    assert env.spec.max_episode_steps == ref.spec.max_episode_steps == 50


def test_reset_is_seeded_and_step_reports_a_bool_success():
    env = make("push")
    a, _ = env.reset(seed=3)
    b, _ = env.reset(seed=4)
    c, _ = env.reset(seed=3)
    assert np.array_equal(a, c) and not np.array_equal(a, b)
    _, reward, terminated, truncated, info = env.step(env.action_space.sample())
    assert isinstance(info["success"], bool) and reward <= 0 and not terminated and not truncated


@pytest.mark.parametrize("task, rate", [("reach", 1.0), ("push", 0.7), ("pick_and_place", 0.9)])
def test_scripted_expert_succeeds(task, rate):
    from rewardgym.envs.experts import expert_for

    env = make(task)
    policy, options = expert_for(env)
    wins = []
    for seed in range(10):
        obs, info = env.reset(seed=seed, options=options)
        done = False
        while not done:
            obs, _, terminated, truncated, info = env.step(policy(env, obs, info, None))
            done = terminated or truncated
        wins.append(info["success"])
    assert np.mean(wins) >= rate
    assert expert_for(make("slide")) == (None, None)


@pytest.mark.parametrize("task", ["reach", "push", "pick_and_place"])
def test_keypoint_plan_names_the_models_points_and_the_expert_completes_it(task):
    from rewardgym.envs.fetch.expert import fetch_expert
    from rewardgym.reward_wrappers.keypoint import KeypointReward

    env = KeypointReward(make(task))
    plan = env.unwrapped.keypoint_plan
    assert plan.tracked == "robot0:grip" and plan.waypoints == ("target0",)
    obs, info = env.reset(seed=0)
    assert np.allclose(info["keypoints_3d"][-1], env.unwrapped.fetch.goal)
    if plan.grasp:
        assert np.allclose(info["keypoints_3d"][0], _site(env, "object0"))
    rewards, stages, wins = [], [], []
    for _ in range(50):   # one whole episode
        obs, r, _, _, info = env.step(fetch_expert(env, obs, info, None))
        rewards.append(r)
        stages.append(info["shaped_stage"])
        wins.append(info["success"])
    assert wins[-1] and all(r == 1.0 for r, w in zip(rewards, wins) if w)
    assert max(stages) == env.n_stages and stages[0] == 0


def test_pick_and_place_needs_a_real_grasp():
    """An open gripper driven through the block never completes the grasp stage (20 seeds)."""
    from rewardgym.reward_wrappers.keypoint import KeypointReward

    env = KeypointReward(make("pick_and_place"), success_override=False)
    for seed in range(20):
        env.reset(seed=seed)
        held = []
        for _ in range(25):
            delta = _site(env, "object0") - _site(env, "robot0:grip")
            action = np.append(np.clip(10 * delta + np.array([0.3, 0.0, -0.1]), -1, 1), 1.0)   # open, through it
            *_, info = env.step(action.astype(np.float32))
            held.append(info["shaped_held"])
        assert max(held) == 0.0


def test_pickled_and_copied_envs_continue_identically():
    """Fetch moves its mocap target from the hand's xpos, which MuJoCo's step leaves one step
    behind qpos: the copy carries it as it was (MuJoCo 3.3 has no mj_copyData)."""
    import copy
    import pickle

    env = make("pick_and_place")
    env.reset(seed=0)
    env.action_space.seed(0)
    for _ in range(3):
        env.step(env.action_space.sample())
    twins = [pickle.loads(pickle.dumps(env)), copy.deepcopy(env)]
    assert all(np.array_equal(t.unwrapped.fetch.goal, env.unwrapped.fetch.goal) for t in twins)
    for _ in range(10):
        action = env.action_space.sample()
        obs = env.step(action)[0]
        assert all(np.array_equal(t.step(action)[0], obs) for t in twins)


def test_train_runs_on_a_fetch_config_with_the_keypoint_reward(tmp_path, train_cli):
    import json

    proc = train_cli("env=fetch_push", "reward=keypoint", "agent.total_timesteps=1024", "eval.episodes=1",
                  "checkpoint_freq=1000000", f"hydra.run.dir={tmp_path}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["reward"].endswith("KeypointReward") and metrics["env"] == "rewardgym/Fetch-v0"


def test_bad_input_and_a_missing_extra_are_one_line_and_exit_2(tmp_path, train_cli):
    proc = train_cli("env=fetch_push", "env.kwargs.task=pusj", "agent.total_timesteps=64", f"hydra.run.dir={tmp_path / 'a'}",
                  timeout=300)
    assert proc.returncode == 2 and "unknown Fetch task 'pusj'; close names" in proc.stderr.strip().splitlines()[-1]
    fake = tmp_path / "fake"
    (fake / "gymnasium_robotics").mkdir(parents=True)
    (fake / "gymnasium_robotics" / "__init__.py").write_text("raise ImportError(\"No module named 'gymnasium_robotics'\")\n")
    proc = train_cli("env=fetch_push", "agent.total_timesteps=64", f"hydra.run.dir={tmp_path / 'b'}",
                  env_vars={"PYTHONPATH": str(fake)}, timeout=300)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "pip install 'rewardgym[robotics]'" in proc.stderr.strip().splitlines()[-1]
