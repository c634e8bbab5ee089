"""Turns bad command-line overrides into one clear line (exit code 2) before Hydra runs."""
from __future__ import annotations

from importlib import resources

GROUPS = ("env", "reward", "agent")


def group_choices(group: str) -> list[str]:
    """Option names of a config group in the packaged ``rewardgym.conf``."""
    folder = resources.files("rewardgym.conf") / group
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def validate_overrides(argv: list[str], config_name: str) -> str | None:
    """Returns a message naming the first bad override, or None when Hydra can compose them.

    Checks group choices (``env=nope``) against the packaged config folders, then composes the
    config once (first value of each sweep) to catch unknown keys and bad values.
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
        return f"cannot parse overrides {args}: {str(err).splitlines()[0]}"
    plain = []
    for ov in parsed:
        key = ov.key_or_group
        values = list(ov.sweep_string_iterator()) if ov.is_sweep_override() else [ov.get_value_element_as_str()]
        if key in GROUPS:
            valid = group_choices(key)
            for value in values:
                if value not in valid:
                    return f"unknown {key} {value!r}. Valid choices: {', '.join(valid)}"
        if key.startswith("hydra") or key.startswith("hydra/"):
            continue
        lhs = ov.input_line.split("=", 1)[0]
        plain.append(f"{lhs}={values[0]}" if ov.is_sweep_override() else ov.input_line)
    GlobalHydra.instance().clear()
    try:
        with initialize_config_module(config_module="rewardgym.conf", version_base=None):
            compose(config_name=config_name, overrides=plain)
    except Exception as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return f"bad override: {first}"
    finally:
        GlobalHydra.instance().clear()
    return None
