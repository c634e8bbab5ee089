"""The range table of rewardgym/cli.py: every numeric key of both apps' configs is checked, and a
value out of range gets one message naming the key and the value."""
import pytest
from hydra import compose, initialize_config_module
from omegaconf import OmegaConf, open_dict

from rewardgym.cli import RANGES, Range, range_problem, validate_overrides


@pytest.fixture(scope="module")
def configs():
    with initialize_config_module(config_module="rewardgym.conf", version_base=None):
        return {name: compose(config_name=name) for name in ("config", "eval_reward")}


def _numeric_keys(cfg, prefix=""):
    for key, value in cfg.items():
        path = f"{prefix}{key}"
        if OmegaConf.is_dict(value):
            yield from _numeric_keys(value, path + ".")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            yield path


def test_every_numeric_config_value_has_a_range(configs):
    for name in ("config", "eval_reward"):
        cfg = configs[name]
        keys = set(_numeric_keys(cfg)) - {k for k in _numeric_keys(cfg) if k.startswith(("env.", "reward."))}
        assert keys <= set(RANGES), f"{name}: no range for {sorted(keys - set(RANGES))}"
        assert range_problem(cfg) is None, "the shipped defaults are in range"


def _bad_values(allowed: Range):
    yield "text"
    yield True
    yield float("nan")
    if allowed.integer:
        yield 1.5
    if allowed.low is not None:
        yield allowed.low - 1 if allowed.integer else (allowed.low if allowed.low_open else allowed.low - 0.5)
    if allowed.high is not None:
        yield allowed.high + 1 if allowed.integer else allowed.high + 0.5


@pytest.mark.parametrize("key", sorted(RANGES))
def test_out_of_range_value_is_named(configs, key):
    cfg = configs["eval_reward" if key.startswith("rollouts.") else "config"].copy()
    for bad in _bad_values(RANGES[key]):
        with open_dict(cfg):
            OmegaConf.update(cfg, key, bad, force_add=True)
        problem = range_problem(cfg)
        assert problem is not None and problem.startswith(f"{key} must be ") and problem.endswith(f"got {bad!r}"), (
            bad, problem)


def test_range_text():
    assert str(Range(True, 1)) == "an integer >= 1"
    assert str(Range(False, 0, low_open=True)) == "a finite number > 0"
    assert str(Range(False, 0, 1)) == "a finite number in [0, 1]"
    assert Range(False, 0, 1).holds(1) and not Range(False, 0, 1, high_open=True).holds(1)


def test_rollout_of_one_step_is_refused(configs):
    cfg = configs["config"].copy()
    cfg.agent.n_envs, cfg.agent.ppo.n_steps = 1, 1
    assert "agent.ppo.n_steps * agent.n_envs must be > 1" in range_problem(cfg)


def test_validate_overrides_reports_the_range():
    assert validate_overrides(["agent.ppo.n_epochs=0"], "config") == "agent.ppo.n_epochs must be an integer >= 1, got 0"
    assert validate_overrides(["rollouts.episodes=-2"], "eval_reward") == (
        "rollouts.episodes must be an integer >= 1, got -2")
    assert validate_overrides(["agent.ppo.learning_rate=1e-3", "eval.episodes=0"], "config") is None


def _bool_keys(cfg, prefix=""):
    for key, value in cfg.items():
        path = f"{prefix}{key}"
        if OmegaConf.is_dict(value):
            yield from _bool_keys(value, path + ".")
        elif isinstance(value, bool):
            yield path


def test_every_switch_is_true_or_false():
    from rewardgym.cli import BOOL_KEYS

    with initialize_config_module(config_module="rewardgym.conf", version_base=None):
        cfgs = [compose(config_name="config"), compose(config_name="eval_reward"),
                compose(config_name="config", overrides=["agent=rllib_ppo"])]
    keys = {k for cfg in cfgs for k in _bool_keys(cfg) if not k.startswith(("env.", "reward.", "agent.ppo.",
                                                                             "agent.model."))}
    assert keys <= set(BOOL_KEYS), sorted(keys - set(BOOL_KEYS))
    assert validate_overrides(["resume=maybe"], "config") == "resume must be true or false, got 'maybe'"
    assert validate_overrides(["progress=1"], "eval_reward") == "progress must be true or false, got 1"
    assert validate_overrides(["resume=true", "debug=false"], "config") is None


def test_sweep_job_folders_are_one_short_path_component():
    """A sweep job's folder comes from its overrides: a run dir's ``/`` would nest folders and long prompts
    would pass the file system's name limit (an OSError after the job ran). Short names stay as Hydra
    writes them; long ones keep their head plus a hash of the whole, so distinct lines stay distinct."""
    from omegaconf import OmegaConf

    from rewardgym.cli import MAX_DIRNAME, sweep_dirname

    assert sweep_dirname("env=cartpole,reward.alpha=0.5") == "env=cartpole,reward.alpha=0.5"
    assert sweep_dirname("rollouts.ppo_run=outputs/a/b") == "rollouts.ppo_run=outputs_a_b"
    long_a = "reward.baseline_prompts=[a\\ humanoid\\ robot\\ in\\ an\\ odd\\ pose]," + "x" * 300
    long_b = long_a[:-1] + "y"
    a, b = sweep_dirname(long_a), sweep_dirname(long_b)
    assert len(a) == MAX_DIRNAME and "/" not in a and " " not in a and "\\" not in a and a != b
    assert a.startswith("reward.baseline_prompts=[a_humanoid_robot")
    cfg = OmegaConf.create({"n": 3, "d": "env=x/y", "subdir": "${n}__${rg_dirname:${d}}"})
    assert cfg.subdir == "3__env=x_y"  # the resolver the apps' configs use is registered on import
