"""Turns bad command-line overrides into one clear line (exit code 2) before Hydra runs."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from importlib import resources

GROUPS = ("env", "reward", "agent")
MAX_DIRNAME = 120  # characters of a sweep job's folder name made from its overrides


def sweep_dirname(overrides: str) -> str:
    """A sweep job's folder name from Hydra's ``override_dirname``: one path component (a ``/`` in
    a value, e.g. a run dir, would nest folders) of at most ``MAX_DIRNAME`` characters (long
    prompts or paths would pass the file system's 255-byte limit): the head, then a hash of the
    whole, so two different override lines never share a folder."""
    import hashlib

    name = overrides.replace("/", "_").replace("\\ ", "_").replace(" ", "_")
    if len(name) <= MAX_DIRNAME:
        return name
    return f"{name[:MAX_DIRNAME - 9]}~{hashlib.sha1(overrides.encode()).hexdigest()[:8]}"


def register_resolvers() -> None:
    """``${rg_dirname:...}`` for the apps' sweep ``subdir`` (idempotent)."""
    from omegaconf import OmegaConf

    if not OmegaConf.has_resolver("rg_dirname"):
        OmegaConf.register_new_resolver("rg_dirname", sweep_dirname)


register_resolvers()


@dataclass(frozen=True)
class Range:
    """Allowed values of a numeric config key: an integer or a finite number from ``low`` to
    ``high`` (``None``: unbounded), each end included unless ``*_open``."""

    integer: bool
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def holds(self, value) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if (self.integer and not isinstance(value, int)) or not math.isfinite(value):
            return False
        low_ok = self.low is None or (value > self.low if self.low_open else value >= self.low)
        high_ok = self.high is None or (value < self.high if self.high_open else value <= self.high)
        return low_ok and high_ok

    def __str__(self) -> str:
        kind = "an integer" if self.integer else "a finite number"
        if self.low is not None and self.high is not None:
            return f"{kind} in {'(' if self.low_open else '['}{self.low}, {self.high}{')' if self.high_open else ']'}"
        if self.low is not None:
            return f"{kind} {'>' if self.low_open else '>='} {self.low}"
        if self.high is not None:
            return f"{kind} {'<' if self.high_open else '<='} {self.high}"
        return kind


COUNT, POSITIVE_INT = Range(True, 0), Range(True, 1)
POSITIVE, NON_NEGATIVE, UNIT = Range(False, 0, low_open=True), Range(False, 0), Range(False, 0, 1)
# Numeric keys of the apps' configs and their ranges (a key absent from an app's config is
# skipped; null is allowed where the config documents it). A bad value would otherwise fail
# deep inside the run, e.g. agent.n_envs=-1 as an IndexError in stable-baselines3.
RANGES: dict[str, Range] = {
    "seed": Range(True, 0, 2**32 - 1),        # numpy's legacy seeding, used by stable-baselines3
    "checkpoint_freq": POSITIVE_INT,          # env steps between checkpoints
    "torch_threads": POSITIVE_INT,            # null: torch's default
    "eval.episodes": COUNT,                   # 0: no final evaluation
    "eval.every": COUNT,                      # 0: no evaluation during training
    "eval.every_episodes": POSITIVE_INT,
    "eval.hacking.rise": POSITIVE,            # the hacking signal (agents/hacking_signal.py)
    "eval.hacking.evals": POSITIVE_INT,
    "eval.hacking.success_margin": UNIT,
    "eval.hacking.return_stds": NON_NEGATIVE,
    "eval.hacking.reference_steps": POSITIVE_INT,
    "agent.reward_chunk": POSITIVE_INT,       # null: the whole rollout; auto (in AUTO_KEYS): 32 steps
    "agent.demos": COUNT,                     # 0: no behaviour cloning
    "agent.warm_start.epochs": COUNT,         # 0: no supervised warm start (agents/gui_pretrain.py)
    "agent.warm_start.batch_size": POSITIVE_INT,
    "agent.warm_start.learning_rate": POSITIVE,
    "agent.warm_start.heatmap_coef": NON_NEGATIVE,
    "agent.warm_start.std": POSITIVE,
    "agent.warm_start.max_rows": POSITIVE_INT,  # null: every row
    "agent.bc.epochs": POSITIVE_INT,
    "agent.bc.batch_size": POSITIVE_INT,
    "agent.bc.learning_rate": POSITIVE,
    "agent.bc.std": POSITIVE,
    "agent.bc.vf_coef": NON_NEGATIVE,
    "agent.total_timesteps": COUNT,           # 0: no RL steps (a warm start or behaviour clone alone, evaluated)
    "agent.n_envs": POSITIVE_INT,
    "agent.ppo.n_steps": POSITIVE_INT,        # and n_steps * n_envs > 1 (below)
    "agent.ppo.batch_size": Range(True, 2),   # PPO normalises advantages per mini-batch
    "agent.ppo.n_epochs": POSITIVE_INT,
    "agent.ppo.learning_rate": POSITIVE,
    "agent.ppo.gamma": UNIT,
    "agent.ppo.gae_lambda": UNIT,
    "agent.ppo.clip_range": POSITIVE,
    "agent.ppo.ent_coef": NON_NEGATIVE,
    "agent.ppo.vf_coef": NON_NEGATIVE,
    "agent.ppo.max_grad_norm": POSITIVE,
    "agent.ppo.target_kl": POSITIVE,          # not in ppo.yaml; null or +agent.ppo.target_kl=...
    "agent.sac.learning_rate": POSITIVE,      # agent=sac
    "agent.sac.buffer_size": POSITIVE_INT,
    "agent.sac.learning_starts": COUNT,
    "agent.sac.batch_size": POSITIVE_INT,
    "agent.sac.tau": UNIT,
    "agent.sac.gamma": UNIT,
    "agent.env_runners.num": COUNT,           # agent=rllib_ppo; 0: sample in the driver
    "agent.env_runners.envs_per_runner": POSITIVE_INT,
    "agent.env_runners.cpus_per_runner": NON_NEGATIVE,
    "agent.env_runners.gpus_per_runner": NON_NEGATIVE,
    "agent.env_runners.sample_timeout_s": POSITIVE,
    "agent.learners.num": COUNT,              # 0: the learner in the driver
    "agent.learners.cpus_per_learner": NON_NEGATIVE,
    "agent.learners.gpus_per_learner": NON_NEGATIVE,
    "agent.shared_reward.actors": POSITIVE_INT,
    "agent.shared_reward.num_cpus": NON_NEGATIVE,
    "agent.shared_reward.num_gpus": NON_NEGATIVE,
    "agent.shared_reward.max_batch": POSITIVE_INT,
    "agent.shared_reward.wait_ms": NON_NEGATIVE,
    "agent.ray.num_cpus": POSITIVE_INT,       # null: all
    "agent.ray.num_gpus": COUNT,
    "agent.ray.connect_timeout_s": POSITIVE,
    "agent.reward_batch_size": POSITIVE_INT,  # null: a whole vector step
    "agent.ppo.train_batch_size_per_learner": Range(True, 2),
    "agent.ppo.minibatch_size": Range(True, 2),
    "agent.ppo.num_epochs": POSITIVE_INT,
    "agent.ppo.lr": POSITIVE,
    "agent.ppo.lambda_": UNIT,
    "agent.ppo.clip_param": POSITIVE,
    "agent.ppo.vf_clip_param": POSITIVE,
    "agent.ppo.entropy_coeff": NON_NEGATIVE,
    "agent.ppo.vf_loss_coeff": NON_NEGATIVE,
    "agent.ppo.grad_clip": POSITIVE,
    "rollouts.episodes": POSITIVE_INT,        # rewardgym-eval-reward
    "rollouts.n_envs": POSITIVE_INT,
    "rollouts.frames_per_episode": POSITIVE_INT,
    "rollouts.episodes_with_frames": COUNT,
}
INT_KEYS = tuple(key for key, allowed in RANGES.items() if allowed.integer)
AUTO_KEYS = ("agent.reward_chunk",)  # keys of RANGES whose value may also be the string "auto"
# Switches of the apps' configs: true or false only (Hydra keeps `resume=maybe` as the string
# 'maybe', which Python would take as true).
BOOL_KEYS = ("resume", "debug", "progress", "eval.video", "eval.every_video", "eval.hacking.enabled",
             "agent.replay_buffer.checkpoint", "agent.reward_thread", "agent.normalize.obs", "agent.normalize.reward",
             "agent.shared_reward.enabled", "agent.ray.log_to_driver")


def range_problem(cfg) -> str | None:
    """``"agent.n_envs must be an integer >= 1, got -1"`` for the first value out of its range."""
    from omegaconf import OmegaConf

    for key, allowed in RANGES.items():
        value = OmegaConf.select(cfg, key)
        if value is not None and not allowed.holds(value) and not (key in AUTO_KEYS and value == "auto"):
            return f"{key} must be {allowed}, got {value!r}"
    for key in BOOL_KEYS:
        value = OmegaConf.select(cfg, key)
        if value is not None and not isinstance(value, bool):
            return f"{key} must be true or false, got {value!r}"
    n_steps, n_envs = OmegaConf.select(cfg, "agent.ppo.n_steps"), OmegaConf.select(cfg, "agent.n_envs")
    if n_steps is not None and n_envs is not None and n_steps * n_envs < 2:
        return (f"agent.ppo.n_steps * agent.n_envs must be > 1 (one rollout of one step cannot be "
                f"normalised), got {n_steps} * {n_envs}")
    return None


_BAD_KEY = re.compile(r"Could not override '([^']+)'|Key '([^']+)' is not in struct")


def group_choices(group: str) -> list[str]:
    """Option names of a config group in the packaged ``rewardgym.conf``."""
    folder = resources.files("rewardgym.conf") / group
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def _unknown_key_message(err: Exception, config_name: str, good: list[str]) -> str | None:
    """``unknown key 'agent.x'. Valid keys under 'agent': ...`` for Hydra's not-in-struct errors."""
    from hydra import compose
    from omegaconf import DictConfig

    match = _BAD_KEY.search(str(err))
    if not match:
        return None
    key = match.group(1) or match.group(2)
    parent, _, leaf = key.rpartition(".")
    node = compose(config_name=config_name, overrides=good)
    for part in parent.split(".") if parent else []:
        node = node.get(part) if isinstance(node, DictConfig) else None
    if not isinstance(node, DictConfig):
        return None
    where = f"under '{parent}'" if parent else "at the top level"
    return (f"unknown key '{key}'. Valid keys {where}: {', '.join(sorted(node.keys()))} "
            f"(a new key needs a leading +, e.g. +{key}=...)")


def _check_values(cfg, choices: dict[str, str]) -> str | None:
    """Range checks of the numeric keys (``RANGES``) and a dry resolve of the reward config
    (interpolations into ``env``)."""
    from omegaconf import OmegaConf

    problem = range_problem(cfg)
    if problem:
        return problem
    try:
        OmegaConf.to_container(cfg.reward, resolve=True)
    except Exception as err:
        return (f"reward {choices.get('reward')!r} cannot be built for env {choices.get('env')!r}: "
                f"{_first_line(err)}")
    target = cfg.reward.get("_target_")
    if target is not None:
        import logging

        from hydra.utils import get_object

        hydra_log = logging.getLogger("hydra.utils")
        was_disabled, hydra_log.disabled = hydra_log.disabled, True  # it logs the error on its own
        try:
            get_object(str(target))
        except Exception as err:
            detail = " ".join(line.strip() for line in str(err).splitlines() if line.strip())
            return f"reward._target_ {target!r} cannot be imported: {detail} (is its module on PYTHONPATH?)"
        finally:
            hydra_log.disabled = was_disabled
    return None


def validate_overrides(argv: list[str], config_name: str) -> str | None:
    """Returns a message naming the first bad override, or None when Hydra can compose them.

    Checks group choices (``env=nope``, ``hydra/launcher=nope``) against the available configs,
    then composes the config once (first value of each sweep) to catch unknown keys, values of
    the wrong type and reward configs whose interpolations do not resolve for the chosen env.
    """
    from hydra import compose, initialize_config_module
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.override_parser.overrides_parser import OverridesParser

    args = [a for a in argv if not a.startswith("-")]
    if any(a in ("--help", "-h", "--cfg", "--info", "--hydra-help", "-c") for a in argv):
        return None
    try:
        parsed = OverridesParser.create().parse_overrides(args)
    except Exception as err:  # hydra's OverrideParseException
        return f"cannot parse overrides {args}: {_first_line(err)}"
    GlobalHydra.instance().clear()
    try:
        with initialize_config_module(config_module="rewardgym.conf", version_base=None):
            loader = GlobalHydra.instance().config_loader()
            # a user's own config dir (hydra.searchpath=[file://...]) adds group options: honour it
            search = [ov.input_line for ov in parsed if ov.key_or_group == "hydra.searchpath"]
            plain: list[tuple[str | None, list[str]]] = []
            for ov in parsed:
                key = ov.key_or_group
                values = list(ov.sweep_string_iterator()) if ov.is_sweep_override() else [ov.get_value_element_as_str()]
                if key in GROUPS or key.startswith("hydra/"):
                    valid = loader.get_group_options(key, config_name=config_name, overrides=search)
                    for value in values:
                        if value not in valid:
                            return f"unknown {key} {value!r}. Valid choices: {', '.join(valid)}"
                if key.startswith("hydra"):
                    continue
                lhs = ov.input_line.split("=", 1)[0]
                plain.append((lhs, values) if ov.is_sweep_override() else (None, [ov.input_line]))
            good: list[str] = []
            for lhs, values in plain:  # first values, one at a time: names the first bad key
                override = values[0] if lhs is None else f"{lhs}={values[0]}"
                try:
                    compose(config_name=config_name, overrides=search + good + [override])
                except Exception as err:
                    return (_unknown_key_message(err, config_name, search + good)
                            or f"bad override {override!r}: {_first_line(err)}")
                good.append(override)
            for i, (lhs, values) in enumerate(plain):  # each sweep value with the others' first
                for value in values if lhs is not None else values[:1]:
                    overrides = good if lhs is None else good[:i] + [f"{lhs}={value}"] + good[i + 1:]
                    try:
                        cfg = compose(config_name=config_name, overrides=search + overrides, return_hydra_config=True)
                    except Exception as err:
                        return f"bad override {lhs}={value}: {_first_line(err)}"
                    problem = _check_values(cfg, dict(cfg.hydra.runtime.choices))
                    if problem:
                        return problem
            return None
    except Exception as err:
        return f"bad overrides {args}: {_first_line(err)}"
    finally:
        GlobalHydra.instance().clear()


def run_overrides(run_dir) -> list[str]:
    """The command-line overrides of one Hydra run (its ``.hydra/overrides.yaml``), as typed.

    Read with OmegaConf, so an override Hydra stored quoted (``- 'env.prompts.goal=["pole: upright"]'``)
    comes back without the YAML quotes. A run without the file has none: ``[]``.
    """
    from pathlib import Path

    from omegaconf import OmegaConf

    path = Path(run_dir) / ".hydra" / "overrides.yaml"
    if not path.exists():
        return []
    return [str(line) for line in OmegaConf.load(path)]


def exit_on_bad_overrides(prog: str, config_name: str, argv: list[str] | None = None) -> None:
    """The console entries' first step: one line naming the bad override and exit code 2."""
    import sys

    problem = validate_overrides(sys.argv[1:] if argv is None else argv, config_name=config_name)
    if problem:
        print(f"{prog}: {problem}", file=sys.stderr)
        sys.exit(2)
