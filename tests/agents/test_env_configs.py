"""Every ``conf/env/*.yaml`` composes, names a registered id, and builds through the app's env stack."""
import gymnasium as gym
import numpy as np
import pytest
from hydra import compose, initialize_config_module
from omegaconf import OmegaConf

import rewardgym  # noqa: F401
from rewardgym.cli import group_choices
from rewardgym.agents.env_factory import make_env

ENV_CONFIGS = group_choices("env")


def _cfg(name: str, *extra: str):
    with initialize_config_module(config_module="rewardgym.conf", version_base=None):
        return compose(config_name="config", overrides=[f"env={name}", *extra])


def test_groups_are_found_in_package_data():
    assert {"cartpole", "mountain_car"} <= set(ENV_CONFIGS)
    assert "none" in group_choices("reward") and "ppo" in group_choices("agent")


@pytest.mark.parametrize("name", ENV_CONFIGS)
def test_env_config(name):
    cfg = _cfg(name)
    assert cfg.env.id in gym.registry, f"conf/env/{name}.yaml: unknown id {cfg.env.id}"
    prompts = cfg.env.get("prompts")
    if prompts is not None:
        assert len(prompts.goal) >= 1 and len(prompts.baseline) >= 1
        assert all(isinstance(p, str) and p for p in [*prompts.goal, *prompts.baseline])
    if cfg.env.id.startswith("rewardgym/Browser"):
        return  # browsers are covered by tests/envs and test_env_api; one Chromium per config is too slow here
    env = make_env(cfg.env, None, seed=0)()
    try:
        env.reset(seed=0)
        _, reward, _, _, info = env.step(env.action_space.sample())
        assert np.isfinite(reward) and isinstance(info["success"], bool)
    finally:
        env.close()


BROWSER_ALIASES = [n for n in ENV_CONFIGS if n.startswith("browser_")]


def test_one_browser_config_and_thin_aliases():
    """``env=browser env.kwargs.task=<task>`` is the browser config; ``env=browser_<task>`` names
    compose to exactly that (a defaults entry plus the task) and keep their name for the run dir."""
    from importlib import resources

    from rewardgym.envs.browser.tasks import MINIWOB_TASKS, OWN_TASKS

    assert len(BROWSER_ALIASES) >= 11 and "browser" in ENV_CONFIGS
    for name in BROWSER_ALIASES:
        raw = OmegaConf.load(str(resources.files("rewardgym.conf") / "env" / f"{name}.yaml"))
        assert list(raw.defaults) == ["browser", "_self_"] and set(raw) == {"defaults", "kwargs"}, name
        task = raw.kwargs.task
        assert set(raw.kwargs) == {"task"} and (task in OWN_TASKS or task.removeprefix("miniwob/") in MINIWOB_TASKS)
        with initialize_config_module(config_module="rewardgym.conf", version_base=None):
            alias = compose(config_name="config", overrides=[f"env={name}"], return_hydra_config=True)
            one = compose(config_name="config", overrides=["env=browser", f"env.kwargs.task={task}"])
        assert alias.env == one.env and alias.env.kwargs.task == task
        assert alias.hydra.runtime.choices.env == name  # outputs/<name>__<reward>__<seed>/...
    assert _cfg("browser_click_red", "env.kwargs.task=click-shape").env.kwargs.task == "click-shape"


def test_vlmrm_prompts_of_classic_control():
    """CartPole / MountainCar carry the VLM-RM paper's prompts on the env stack (envs.classic), not in YAML."""
    cart_cfg = _cfg("cartpole").env
    assert cart_cfg.id == "CartPole-v1" and "prompts" not in cart_cfg
    cart = make_env(cart_cfg, None, 0)()
    assert cart.get_wrapper_attr("goal_prompts") == ("pole vertically upright on top of a cart",)
    car = make_env(_cfg("mountain_car").env, None, 0)()
    assert "peak of the mountain" in car.get_wrapper_attr("goal_prompts")[0]
    assert car.get_wrapper_attr("baseline_prompts") == ("a car in the mountain",)


def test_an_env_config_still_overrides_classic_facts():
    from rewardgym.agents.env_factory import reward_factory

    env_cfg = _cfg("cartpole", '+env.prompts.goal=["a pole"]', "+env.prompts.baseline=[a cart]", "+env.success=terminated").env
    env = make_env(env_cfg, None, 0)()
    env.reset(seed=0)
    assert env.get_wrapper_attr("success_rule") == "terminated"
    with initialize_config_module(config_module="rewardgym.conf", version_base=None):
        cfg = compose(config_name="config", overrides=["env=cartpole", "reward=clip", '+env.prompts.goal=["a pole"]'])
    assert OmegaConf.to_container(cfg.reward, resolve=True)["goal_prompts"] == ["a pole"]
    assert reward_factory(cfg.reward).scorer_kwargs["goal_prompts"] == ["a pole"]


def test_success_rules_of_classic_control():
    """CartPole succeeds when the time limit ends a balanced episode; MountainCar when the flag ends it."""
    env = make_env(_cfg("cartpole", "env.max_episode_steps=5").env, None, 0)()
    env.reset(seed=0)
    infos = [env.step(i % 2)[4] for i in range(5)]
    assert [i["success"] for i in infos] == [False] * 4 + [True]
    car = make_env(_cfg("mountain_car", "env.max_episode_steps=3").env, None, 0)()
    car.reset(seed=0)
    infos = [car.step(1)[4] for _ in range(3)]
    assert not any(i["success"] for i in infos), "a time-limit end is not a success for MountainCar"


def test_clip_alpha_comes_from_the_env_config_unless_overridden():
    """The humanoid configs set ``clip.alpha: 0`` (the learning tables' setting); other envs keep
    VLM-RM's 0.5; ``reward.alpha=`` on the command line wins over both."""
    assert _cfg("humanoid_kneel", "reward=clip").reward.alpha == 0.0
    assert _cfg("cartpole", "reward=clip").reward.alpha == 0.5
    assert _cfg("humanoid_kneel", "reward=clip", "reward.alpha=0.5").reward.alpha == 0.5
    assert _cfg("cartpole", "reward=clip", "+env.clip.alpha=1").reward.alpha == 1
