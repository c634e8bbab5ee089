"""Search spaces of ``rewardgym-tune``: the ``search`` config group (``conf/search/<name>.yaml``).

A space names the agent it is written for (``agent: ppo``) and, under ``space:``, the run's
config keys to search, nested as they are in the run's config. Each leaf is one parameter:

=========================================  ==================================================
``{low: 1.0e-5, high: 3.0e-3, log: true}``  a float, sampled on a log scale
``{low: 0.8, high: 1.0, step: 0.05}``       a float on a grid
``{low: 1, high: 20}``                      an integer (integer bounds, or ``type: int``)
``{choices: [64, 128, 256]}``               one of the listed values; any YAML values, lists
                                            and dicts included (``{net_arch: [64, 64]}``)
=========================================  ==================================================

``new: true`` in a leaf adds a key the config does not have (Hydra's ``+key=value``), e.g.
``agent.ppo.target_kl``. Every other key must exist in the composed config, and numeric bounds
and choices must lie in the key's allowed range (``rewardgym.cli.RANGES``), so a typo or an
impossible range is caught before the first trial.

Example:
    >>> from omegaconf import OmegaConf
    >>> run = OmegaConf.create({"agent": {"algo": "ppo", "ppo": {"gamma": 0.99, "n_steps": 256}}})
    >>> search = OmegaConf.create({"agent": "ppo", "space": {"agent": {"ppo": {
    ...     "gamma": {"low": 0.9, "high": 0.999}, "n_steps": {"choices": [128, 512]}}}}})
    >>> [(p.key, p.kind) for p in load_space(search, run)]
    [('agent.ppo.gamma', 'float'), ('agent.ppo.n_steps', 'categorical')]
    >>> override("agent.ppo.policy_kwargs", {"net_arch": [64, 64]})
    'agent.ppo.policy_kwargs={net_arch:[64,64]}'
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

LEAF_FIELDS = {"low", "high", "log", "step", "type", "choices", "new"}
_PRIMITIVE = (type(None), bool, int, float, str)
_MISSING = object()


@dataclass(frozen=True)
class Param:
    """One searched config key.

    Args:
        key: the dotted config key (``agent.ppo.learning_rate``).
        kind: ``"float"``, ``"int"`` or ``"categorical"``.
        low, high, log, step: the range of a float or int.
        choices: the values of a categorical.
        new: the key is added to the config (``+key=value``).
    """

    key: str
    kind: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: tuple = ()
    new: bool = False

    def labels(self) -> list:
        """What Optuna sees of the choices: the values themselves, or their override text when
        a choice is a list or a dict (Optuna's categoricals hold None, bool, int, float, str)."""
        if all(isinstance(c, _PRIMITIVE) for c in self.choices):
            return list(self.choices)
        return [format_value(c) for c in self.choices]

    def suggest(self, trial) -> Any:
        """The value of this key in ``trial`` (an ``optuna.Trial``)."""
        if self.kind == "float":
            return trial.suggest_float(self.key, self.low, self.high, log=self.log, step=self.step)
        if self.kind == "int":
            return trial.suggest_int(self.key, int(self.low), int(self.high), log=self.log, step=int(self.step or 1))
        labels = self.labels()
        return self.choices[labels.index(trial.suggest_categorical(self.key, labels))]

    def value_of(self, optuna_value: Any) -> Any:
        """The config value of a value Optuna stored for this key (a categorical's label -> choice)."""
        if self.kind != "categorical":
            return optuna_value
        return self.choices[self.labels().index(optuna_value)]


def _leaves(node: dict, prefix: str = ""):
    for name, value in node.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict) and (set(value) & {"low", "high", "choices"} or not value):
            yield key, value
        elif isinstance(value, dict):
            yield from _leaves(value, key + ".")
        else:
            raise ValueError(f"search.space.{key}: expected a parameter such as {{low: 0.1, high: 1}} or "
                             f"{{choices: [a, b]}}, got {value!r}")


def _number(where: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{where}: {name} must be a finite number, got {value!r}")
    return value


def _param(key: str, leaf: dict, integer_key: bool | None = None) -> Param:
    where = f"search.space.{key}"
    unknown = sorted(set(leaf) - LEAF_FIELDS)
    if unknown:
        raise ValueError(f"{where}: unknown field(s) {', '.join(unknown)}; a parameter has "
                         f"{', '.join(sorted(LEAF_FIELDS))}")
    new = leaf.get("new", False)
    if not isinstance(new, bool):
        raise ValueError(f"{where}: new must be true or false, got {new!r}")
    if "choices" in leaf:
        choices = leaf["choices"]
        if set(leaf) - {"choices", "new"}:
            raise ValueError(f"{where}: choices cannot be combined with {', '.join(sorted(set(leaf) - {'choices', 'new'}))}")
        if not isinstance(choices, list) or not choices:
            raise ValueError(f"{where}: choices must be a non-empty list, got {choices!r}")
        return Param(key, "categorical", choices=tuple(choices), new=new)
    if "low" not in leaf or "high" not in leaf:
        raise ValueError(f"{where}: a range needs both low and high, got {leaf!r}")
    low, high = _number(where, "low", leaf["low"]), _number(where, "high", leaf["high"])
    if low > high:
        raise ValueError(f"{where}: low {low!r} > high {high!r}")
    # integer bounds make an int range, unless the key is a float one (vf_coef: {low: 0, high: 1})
    kind = leaf.get("type") or ("int" if isinstance(low, int) and isinstance(high, int) and integer_key is not False
                                else "float")
    if kind not in ("float", "int"):
        raise ValueError(f"{where}: type must be float or int, got {kind!r}")
    if kind == "int" and not (float(low).is_integer() and float(high).is_integer()):
        raise ValueError(f"{where}: an int range needs integer bounds, got low {low!r}, high {high!r}")
    log, step = leaf.get("log", False), leaf.get("step")
    if not isinstance(log, bool):
        raise ValueError(f"{where}: log must be true or false, got {log!r}")
    if log and low <= 0:
        raise ValueError(f"{where}: a log range needs low > 0, got {low!r}")
    if step is not None:
        if _number(where, "step", step) <= 0:
            raise ValueError(f"{where}: step must be > 0, got {step!r}")
        if log:
            raise ValueError(f"{where}: log and step cannot be combined")
    return Param(key, kind, float(low) if kind == "float" else int(low), float(high) if kind == "float" else int(high),
                 log, step, new=new)


def _check_against_config(p: Param, cfg) -> None:
    from omegaconf import OmegaConf

    from rewardgym.cli import BOOL_KEYS, RANGES

    where = f"search.space.{p.key}"
    present = OmegaConf.select(cfg, p.key, default=_MISSING) is not _MISSING
    if not present and not p.new:
        raise KeyError(f"{where}: the config has no key {p.key!r} (new: true adds one)")
    if present and p.new:
        raise ValueError(f"{where}: new: true, but the config already has {p.key!r}")
    allowed = RANGES.get(p.key)
    values = [p.low, p.high] if p.kind != "categorical" else list(p.choices)
    for v in values:
        if allowed is not None and v is not None and not allowed.holds(v):
            raise ValueError(f"{where}: {v!r} is outside the range of {p.key}, {allowed}")
        if p.key in BOOL_KEYS and not isinstance(v, bool):
            raise ValueError(f"{where}: {p.key} is true or false, got choice {v!r}")
    if allowed is not None and allowed.integer and p.kind == "float":
        raise ValueError(f"{where}: {p.key} is an integer, the range is a float one (use integer bounds)")


def load_space(search_cfg, cfg) -> list[Param]:
    """The parameters of a composed ``search`` config, checked against the run's config ``cfg``.

    Raises:
        ValueError: a malformed parameter (low > high, a log range from 0, an empty choice list),
            a space for another agent, or a value outside the key's allowed range.
        KeyError: a key the config does not have (without ``new: true``).
    """
    from omegaconf import DictConfig, OmegaConf

    if not isinstance(search_cfg, DictConfig) or "space" not in search_cfg:
        raise ValueError("search: a search space needs `space:` (see conf/search/ppo.yaml)")
    agent, algo = search_cfg.get("agent"), cfg.agent.get("algo")
    if agent is not None and agent != algo:
        raise ValueError(f"search: this space is for agent={agent}, the run has agent={algo} "
                         f"(add agent={agent}, or choose a search space for {algo})")
    space = OmegaConf.to_container(search_cfg.space, resolve=True)
    if not isinstance(space, dict) or not space:
        raise ValueError("search.space is empty: nothing to search")
    from rewardgym.cli import RANGES

    params = [_param(key, leaf, RANGES[key].integer if key in RANGES else None) for key, leaf in _leaves(space)]
    for p in params:
        _check_against_config(p, cfg)
    return params


_BARE = re.compile(r"[A-Za-z_][\w.\-/]*")
_KEYWORDS = {"true", "false", "null", "inf", "nan"}


def format_value(value: Any) -> str:
    """A value in Hydra's override syntax (``[64,64]``, ``{net_arch:[64,64]}``, ``'a b'``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        if _BARE.fullmatch(value) and value.lower() not in _KEYWORDS:
            return value
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(format_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{format_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {value!r} ({type(value).__name__}) as a Hydra override value")


def override(key: str, value: Any, new: bool = False) -> str:
    """``key=value`` in Hydra's override syntax (``+key=value`` for a key the config lacks)."""
    return f"{'+' if new else ''}{key}={format_value(value)}"
