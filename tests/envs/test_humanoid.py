import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

mujoco = pytest.importorskip("mujoco")

from rewardgym.envs.mujoco.humanoid_poses import set_joint_angles, place_on_floor  # noqa: E402
from rewardgym.envs.mujoco.humanoid_tasks import TASKS  # noqa: E402


def _env(task="stand", **kw):
    return gym.make("rewardgym/HumanoidPose-v0", task=task, **kw)


def _pose(env, angles, pitch=0.0):
    """Builds a pose here from joint angles (degrees) and places it on the floor."""
    base = env.unwrapped
    base.data.qpos[:] = base.model.qpos0
    q = np.zeros(4)
    mujoco.mju_euler2Quat(q, np.deg2rad([0.0, pitch, 0.0]), "xyz")
    base.data.qpos[3:7] = q
    set_joint_angles(base.model, base.data.qpos, angles)
    base.data.qvel[:] = 0
    place_on_floor(base.model, base.data)
    return {name: bool(task.success(base.measurements())) for name, task in TASKS.items()}


# pose built in the test -> (tasks that must succeed, tasks that must fail)
CASES = {
    "standing": ({}, 0, {"stand"}, {"kneel", "sit", "lotus", "splits", "lie_down", "one_leg", "arms_raised"}),
    "kneeling": ({"right_knee": -90, "left_knee": -90}, 0, {"kneel"}, {"stand", "sit", "lie_down", "one_leg"}),
    "sitting": ({"right_hip_y": -90, "left_hip_y": -90}, 0, {"sit"}, {"stand", "kneel", "lotus", "lie_down"}),
    "cross_legged": ({"right_hip_y": -100, "left_hip_y": -100, "right_hip_z": -50, "left_hip_z": -50,
                      "right_knee": -155, "left_knee": -155, "right_hip_x": -25, "left_hip_x": -25}, 0,
                     {"lotus"}, {"sit", "stand", "kneel", "splits"}),
    "splits": ({"right_hip_y": -110, "left_hip_y": 20}, 45, {"splits"}, {"stand", "sit", "kneel", "lie_down"}),
    "arms_up": ({"right_shoulder1": -85, "right_shoulder2": 20, "right_elbow": -90,
                 "left_shoulder1": 75, "left_shoulder2": -30, "left_elbow": -90}, 0, {"arms_raised", "stand"},
                {"kneel", "lie_down", "sit"}),
    "lying": ({}, -90, {"lie_down"}, {"stand", "kneel", "sit", "lotus", "arms_raised", "one_leg"}),
    "one_leg": ({"left_hip_y": -90, "left_knee": -90}, 0, {"one_leg"}, {"kneel", "sit", "lie_down", "arms_raised"}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_success_predicates_on_hand_set_poses(case):
    angles, pitch, must, mustnot = CASES[case]
    result = _pose(_env(), angles, pitch)
    for task in must:
        assert result[task], f"{case}: {task} should succeed ({result})"
    for task in mustnot:
        assert not result[task], f"{case}: {task} should fail ({result})"


@pytest.mark.parametrize("task", sorted(TASKS))
def test_check_env_and_reward_terms(task):
    env = _env(task)
    check_env(env.unwrapped, skip_render_check=True)
    env.reset(seed=0)
    _, reward, terminated, _, info = env.step(env.action_space.sample())
    terms = [v for k, v in info.items() if k.startswith("reward_")]
    assert terms and all(0.0 <= v <= 1.0 for v in terms)
    assert reward == pytest.approx(np.prod(terms)) and not terminated


def test_named_pose_reset_gives_full_reward():
    for task in TASKS:
        env = _env(task)
        _, info = env.reset(seed=0, options={"pose": task})
        assert info["success"], task


def test_seeded_determinism_and_no_termination_on_fall():
    def run():
        env = _env("kneel")
        obs, _ = env.reset(seed=5)
        env.action_space.seed(5)
        out = [obs]
        for _ in range(150):
            obs, _, terminated, truncated, _ = env.step(env.action_space.sample())
            assert not terminated, "falling must not end the episode"
            out.append(obs)
        return np.array(out), truncated

    (a, trunc), (b, _) = run(), run()
    np.testing.assert_array_equal(a, b)
    assert trunc, "the time limit ends the episode"


def test_pixels_render_and_flags():
    env = _env("stand", obs_type="state+pixels", width=64, height=48, render_mode="rgb_array")
    obs, _ = env.reset(seed=0)
    assert obs["pixels"].shape == (48, 64, 3) and obs["pixels"].dtype == np.uint8
    assert obs["pixels"].std() > 5
    flags = env.unwrapped._fast._renderer.scene.flags
    assert not flags[mujoco.mjtRndFlag.mjRND_SHADOW] and not flags[mujoco.mjtRndFlag.mjRND_SKYBOX]


def test_bad_inputs():
    with pytest.raises(ValueError, match="unknown task 'fly'"):
        _env("fly")
    env = _env()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="finite"):
        env.step(np.full(17, np.inf, dtype=np.float32))


def test_reward_is_product_of_terms_and_full_exactly_on_success():
    from rewardgym.envs.mujoco.humanoid_poses import random_pose_qpos

    env = _env()
    base = env.unwrapped
    rng = np.random.default_rng(0)
    seen_success = 0
    for i in range(40):
        near = list(TASKS)[i % len(TASKS)] if i % 2 else None
        base.set_pose(random_pose_qpos(base.model, rng, near=near, noise_deg=8.0))
        m = base.task_metrics()
        for task in TASKS.values():
            reward, terms, success = task.evaluate(m)
            assert all(0.0 <= v <= 1.0 for v in terms.values())
            assert reward == pytest.approx(np.prod(list(terms.values())))
            assert success == (reward == 1.0)
            seen_success += success
    assert seen_success > 0, "perturbed named poses should sometimes still succeed"


def test_tolerance_shapes():
    from rewardgym.envs.mujoco.tolerance import tolerance

    for shape in ("exponential", "gaussian", "linear"):
        assert tolerance(1.0, lower=0.5, upper=1.5, sigmoid=shape) == 1.0
        assert tolerance(0.3, lower=0.5, margin=0.2, sigmoid=shape) == pytest.approx(0.1)
        xs = [1.5 + d for d in (0.0, 0.01, 0.1, 0.5, 2.0)]
        vals = [tolerance(x, upper=1.5, margin=0.3, sigmoid=shape) for x in xs]
        assert vals == sorted(vals, reverse=True)
        # the scalar path and the array path agree
        np.testing.assert_allclose(tolerance(np.array(xs), upper=1.5, margin=0.3, sigmoid=shape), vals, rtol=1e-12)
    # exponential: a 1 cm miss is visible in the reward; a gaussian is flat at the bound
    assert tolerance(1.51, upper=1.5, margin=0.5, sigmoid="exponential") < 0.96
    assert tolerance(1.51, upper=1.5, margin=0.5, sigmoid="gaussian") > 0.999
    with pytest.raises(ValueError, match="'cubic'"):
        tolerance(2.0, upper=1.0, sigmoid="cubic")


def test_satisfied_tasks_and_set_pose_and_reset_from_qpos():
    from rewardgym.envs.mujoco.humanoid_poses import pose_qpos

    env = _env("kneel")
    base = env.unwrapped
    qpos = pose_qpos(base.model, "kneel")
    _, info = env.reset(seed=0, options={"qpos": qpos})
    assert info["success"] and info["reward_knees_down"] == 1.0
    sat = base.satisfied_tasks()
    assert sat["kneel"] and not sat["stand"] and not sat["lie_down"]
    np.testing.assert_array_equal(base.data.qvel, 0.0)
    with pytest.raises(ValueError, match="finite"):
        base.set_pose(np.full(base.model.nq, np.nan))
    with pytest.raises(ValueError, match="24"):
        base.set_pose(np.zeros(5))


def test_obs_types_and_switchable_render_flags():
    env = _env("stand", obs_type="pixels", width=32, height=40, shadows=True)
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs) and obs.shape == (40, 32, 3)
    obs, *_ = env.step(np.zeros(17))
    assert obs.dtype == np.uint8
    flags = env.unwrapped._fast._renderer.scene.flags
    assert flags[mujoco.mjtRndFlag.mjRND_SHADOW] and not flags[mujoco.mjtRndFlag.mjRND_REFLECTION]
    assert _env("stand").unwrapped.render() is None  # no render_mode: nothing drawn
    with pytest.raises(ValueError, match="obs_type"):
        _env("stand", obs_type="rgb")


@pytest.mark.parametrize("task", sorted(TASKS))
def test_prompts_are_on_the_env_and_not_in_its_config(task):
    from importlib import resources

    from omegaconf import OmegaConf

    cfg = OmegaConf.load(str(resources.files("rewardgym.conf") / "env" / f"humanoid_{task}.yaml"))
    assert cfg.id == "rewardgym/HumanoidPose-v0" and cfg.kwargs.task == task
    assert "prompts" not in cfg, f"humanoid_{task}.yaml repeats the task's prompts"
    base = gym.make(cfg.id, **cfg.kwargs).unwrapped
    assert base.goal_prompts == list(TASKS[task].goal_prompts) and base.goal_prompts and all(base.goal_prompts)
    assert base.baseline_prompts == ["a humanoid robot"]
    assert base.goal_prompts[0] in type(base).__doc__, "the spec's table shows each task's goal prompt"


def test_a_prompt_is_edited_in_the_table_only(monkeypatch):
    import dataclasses

    monkeypatch.setitem(TASKS, "kneel", dataclasses.replace(TASKS["kneel"], goal_prompts=("a robot on its knees",)))
    assert _env("kneel").unwrapped.goal_prompts == ["a robot on its knees"]


def test_check_env_with_pixels_and_render_check():
    env = _env("splits", obs_type="state+pixels", render_mode="rgb_array", width=48, height=48)
    check_env(env.unwrapped)  # includes Gymnasium's render checks for every declared render mode
    assert env.unwrapped.metadata["render_modes"] == ["rgb_array"]
    with pytest.raises(ValueError, match="'depth_array'"):
        type(env.unwrapped)(render_mode="depth_array")
