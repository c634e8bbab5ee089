"""Every task is reachable by an id of its own; the literal task names in rewardgym/__init__.py
match the task tables they copy."""
import gymnasium as gym
import pytest

import rewardgym
from rewardgym import TASK_ENV_IDS, task_env_id


def _tables() -> dict[str, tuple[str, ...]]:
    from rewardgym.envs.browser import tasks as browser
    from rewardgym.envs.fetch import tasks as fetch
    from rewardgym.envs.metaworld import tasks as metaworld
    from rewardgym.envs.mujoco import humanoid_tasks, manipulation_tasks

    return {
        "rewardgym/HumanoidPose-v0": tuple(humanoid_tasks.TASKS),
        "rewardgym/Manipulation-v0": tuple(manipulation_tasks.TASKS),
        "rewardgym/Browser-v0": browser.OWN_TASKS + tuple(f"miniwob/{t}" for t in browser.MINIWOB_TASKS),
        "rewardgym/MetaWorld-v0": tuple(metaworld.TASKS),
        "rewardgym/Fetch-v0": tuple(fetch.TASKS),
        "rewardgym/Grounding-v0": (),  # its tasks are the recorded dataset's (env.kwargs.tasks), no ids of their own
    }


def test_task_names_match_the_task_tables():
    registered = {family: tuple(task for fam, task in TASK_ENV_IDS.values() if fam == family)
                  for family in rewardgym.ENV_IDS}
    assert registered == _tables()


def test_every_task_id_is_registered_with_its_task_and_the_family_time_limit():
    assert len(set(TASK_ENV_IDS)) == len(TASK_ENV_IDS) == sum(len(t) for t in _tables().values())
    for env_id, (family, task) in TASK_ENV_IDS.items():
        spec, family_spec = gym.spec(env_id), gym.spec(family)
        assert spec.kwargs == {"task": task}
        assert spec.entry_point == family_spec.entry_point
        assert spec.max_episode_steps == family_spec.max_episode_steps


@pytest.mark.parametrize("family, task, expected", [
    ("rewardgym/HumanoidPose-v0", "arms_raised", "rewardgym/HumanoidArmsRaised-v0"),
    ("rewardgym/Manipulation-v0", "push", "rewardgym/ManipulationPush-v0"),
    ("rewardgym/Browser-v0", "click-scroll-item", "rewardgym/BrowserClickScrollItem-v0"),
    ("rewardgym/Browser-v0", "miniwob/click-button", "rewardgym/BrowserMiniwobClickButton-v0"),
])
def test_naming_scheme(family, task, expected):
    assert task_env_id(family, task) == expected


def test_unknown_family_is_named():
    with pytest.raises(ValueError, match="rewardgym/Nope-v0"):
        task_env_id("rewardgym/Nope-v0", "x")


@pytest.mark.parametrize("env_id, task", [("rewardgym/HumanoidKneel-v0", "kneel"),
                                          ("rewardgym/ManipulationDrawerOpen-v0", "drawer_open")])
def test_make_by_id_alone_gives_the_task(env_id, task):
    env = gym.make(env_id)
    try:
        assert env.unwrapped.task.name == task
        env.reset(seed=0)
        _, _, _, _, info = env.step(env.action_space.sample())
        assert isinstance(info["success"], bool)
    finally:
        env.close()


def test_keyword_form_still_chooses_the_task():
    env = gym.make("rewardgym/Manipulation-v0", task="stack")
    try:
        assert env.unwrapped.task.name == "stack"
    finally:
        env.close()
