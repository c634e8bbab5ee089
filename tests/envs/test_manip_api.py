"""Manipulation-v0's KAGI-facing API: keypoints, plan, cameras, configs, reward terms."""
from importlib import resources

import gymnasium as gym
import numpy as np
import pytest
import yaml

mujoco = pytest.importorskip("mujoco")

from rewardgym.envs.mujoco.camera import project  # noqa: E402
from rewardgym.envs.mujoco.experts import expert_action  # noqa: E402
from rewardgym.envs.mujoco.manipulation_tasks import TASKS  # noqa: E402
from rewardgym.envs.mujoco.manipulation_v0 import CAMERAS  # noqa: E402

WEIGHTS = {"reach": {"near_goal": 1.0}, "push": {"near_object": 0.2, "object_at_goal": 0.8},
           "pick_place": {"near_object": 0.2, "object_at_goal": 0.8},
           "stack": {"near_object": 0.2, "object_at_goal": 0.8},
           "drawer_open": {"near_handle": 0.2, "drawer_open": 0.8},
           "button_press": {"near_button": 0.3, "pressed": 0.7}}


def _config(task):
    text = (resources.files("rewardgym.conf") / "env" / f"manip_{task}.yaml").read_text()
    return yaml.safe_load(text)


@pytest.mark.parametrize("task", sorted(TASKS))
def test_task_facts_are_on_the_env_and_not_in_its_config(task):
    """Instruction, prompts and keypoint plan come from the task table through the env; the env
    YAML is id + kwargs and repeats none of them."""
    cfg = _config(task)
    assert cfg["id"] == "rewardgym/Manipulation-v0" and cfg["kwargs"]["task"] == task
    assert not {"instruction", "prompts", "keypoint"} & set(cfg), f"manip_{task}.yaml repeats a task fact"
    base = gym.make("rewardgym/Manipulation-v0", task=task, camera="top").unwrapped
    spec = TASKS[task]
    assert base.instruction == spec.instruction and base.instruction
    assert base.goal_prompts == list(spec.goal_prompts) and base.goal_prompts and all(base.goal_prompts)
    assert base.baseline_prompts == ["a robot gripper above a table"]
    plan = base.keypoint_plan
    assert (plan.camera, plan.tracked) == ("top", "gripper"), "the plan is measured in the env's own camera"
    assert plan.grasp == spec.grasp_keypoint and list(plan.waypoints) == spec.waypoints
    base.reset(seed=0)
    assert {plan.tracked, *([plan.grasp] if plan.grasp else []), *plan.waypoints} <= set(base.keypoints())


def test_a_task_fact_is_edited_in_the_table_only(monkeypatch):
    import dataclasses

    monkeypatch.setitem(TASKS, "push", dataclasses.replace(TASKS["push"], instruction="shove it", waypoints=["lift", "goal"],
                                                           goal_prompts=("a cube on a pad",)))
    base = gym.make("rewardgym/Manipulation-v0", task="push").unwrapped
    assert base.instruction == "shove it" and base.goal_prompts == ["a cube on a pad"]
    assert base.keypoint_plan.waypoints == ("lift", "goal")


@pytest.mark.parametrize("task", sorted(TASKS))
def test_keypoints_plan_and_projection_into_every_camera(task):
    env = gym.make("rewardgym/Manipulation-v0", task=task, width=96, height=80)
    base = env.unwrapped
    for seed in range(3):
        env.reset(seed=seed)
        kp = base.keypoints()
        plan = ([base.task.grasp_keypoint] if base.task.grasp_keypoint else []) + base.task.waypoints
        assert "gripper" in kp and all(name in kp for name in plan), (sorted(kp), plan)
        assert all(v.shape == (3,) and np.all(np.isfinite(v)) for v in kp.values())
        pts = np.array(list(kp.values()))
        for cam in CAMERAS:
            uv, depth = project(base.model, base.data, cam, pts, base.width, base.height)
            assert np.all(depth > 0), (task, cam)
            inside = (uv[:, 0] >= 0) & (uv[:, 0] < 96) & (uv[:, 1] >= 0) & (uv[:, 1] < 80)
            assert inside.all(), f"{task} seed {seed}: {np.array(list(kp))[~inside]} outside the {cam} view"


@pytest.mark.parametrize("camera", ["front", "top"])
def test_goal_keypoint_lands_on_the_rendered_goal(camera):
    env = gym.make("rewardgym/Manipulation-v0", task="reach", width=200, height=150, camera=camera)
    base = env.unwrapped
    env.reset(seed=4)
    renderer = mujoco.Renderer(base.model, height=150, width=200)
    renderer.enable_segmentation_rendering()
    renderer.update_scene(base.data, camera=camera)
    seg = renderer.render()[..., 0]
    renderer.close()
    rows, cols = np.nonzero(seg == mujoco.mj_name2id(base.model, mujoco.mjtObj.mjOBJ_GEOM, "goal"))
    uv, _ = project(base.model, base.data, camera, base.keypoints()["goal"][None], 200, 150)
    np.testing.assert_allclose(uv[0], [cols.mean() + 0.5, rows.mean() + 0.5], atol=1.0)


@pytest.mark.parametrize("task", sorted(TASKS))
def test_reward_is_the_weighted_sum_of_its_terms(task):
    env = gym.make("rewardgym/Manipulation-v0", task=task)
    env.reset(seed=1)
    env.action_space.seed(1)
    for i in range(30):
        action = expert_action(env) if i % 2 else env.action_space.sample()
        _, reward, terminated, _, info = env.step(action)
        terms = {k[len("reward_"):]: v for k, v in info.items() if k.startswith("reward_")}
        assert set(terms) == set(WEIGHTS[task])
        assert all(0.0 <= v <= 1.0 for v in terms.values())
        assert reward == pytest.approx(sum(WEIGHTS[task][k] * v for k, v in terms.items()))
        assert isinstance(info["success"], bool) and not terminated


def test_second_views_and_instruction():
    env = gym.make("rewardgym/Manipulation-v0", task="push", width=64, height=48)
    env.reset(seed=0)
    base = env.unwrapped
    assert base.instruction == "push the red cube onto the green pad"
    assert base.camera_name == "front" and (base.width, base.height) == (64, 48)
    views = {cam: base.render_camera(cam) for cam in CAMERAS}
    assert all(v.shape == (48, 64, 3) and v.dtype == np.uint8 for v in views.values())
    assert np.abs(views["top"].astype(int) - views["side"].astype(int)).mean() > 5, "views should differ"
    with pytest.raises(ValueError, match="camera must be one of"):
        base.render_camera("back")
    env.close()


@pytest.mark.parametrize("kwargs, match", [({"camera": "back"}, "camera"), ({"width": 0}, "width"),
                                           ({"obs_type": "rgb"}, "obs_type"), ({"action_scale": 0.0}, "action_scale"),
                                           ({"render_mode": "depth_array"}, "render_mode")])
def test_bad_kwargs_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        gym.make("rewardgym/Manipulation-v0", **kwargs)


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_non_finite_actions_raise(bad):
    env = gym.make("rewardgym/Manipulation-v0")
    env.reset(seed=0)
    with pytest.raises(ValueError, match="finite"):
        env.step(np.array([0, 0, 0, bad], dtype=np.float32))
