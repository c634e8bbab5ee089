"""What a person reads of a ``rewardgym-tune`` study, written into its ``tune.dir``.

* ``summary.md`` / ``summary.csv``: one row per trial (state, value, env steps trained, minutes,
  sampled values, run folder), the study's totals and the best trial;
* the best trial as a ``rewardgym-train`` override line (``best.txt``) and as a config for
  ``+experiment=`` (``experiment/<study>.yaml``, found with ``hydra.searchpath=[file://<tune.dir>]``);
* Optuna's matplotlib plots: ``history.png`` (optimisation history), ``importance.png``
  (fANOVA parameter importances, from 2 finished trials on) and ``intermediate.png`` (every
  trial's ground-truth evaluations during training: where pruned trials stopped).

Files are written to a temporary name and renamed, so parallel workers never leave half a file.
"""
from __future__ import annotations

import csv
import io
import os
import re
import warnings
from pathlib import Path
from typing import Any

from .space import format_value

GROUP_OVERRIDE = re.compile(r"^(env|reward|agent)=(.+)$")


def _atomic_write(path: Path, data: str | bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data.encode() if isinstance(data, str) else data)
    os.replace(tmp, path)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return "" if value is None else (format_value(value) if isinstance(value, (list, dict, bool)) else str(value))


def rows(study, settings) -> list[dict]:
    """One dict per trial: number, state, value, env_steps, minutes, run_dir and each parameter."""
    out = []
    by_key = {p.key: p for p in settings.params}
    for t in study.get_trials(deepcopy=False):
        minutes = t.duration.total_seconds() / 60 if t.duration is not None else None
        row = {"trial": t.number, "state": t.state.name, "value": t.value, "env_steps": t.user_attrs.get("env_steps"),
               "pruned_at": t.last_step if t.state.name == "PRUNED" else None, "minutes": minutes,
               "retry_of": t.user_attrs.get("retry_of"), "run_dir": t.user_attrs.get("run_dir", "")}
        for key, p in by_key.items():
            row[key] = p.value_of(t.params[key]) if key in t.params else None
        out.append(row)
    return out


def experiment_yaml(study_name: str, line: list[str], run_cfg, value: float, objective: str, number: int,
                    searchpath: str) -> str:
    """A ``# @package _global_`` config that sets what ``line`` sets (group choices as defaults
    overrides, every other key with its value in the composed ``run_cfg``)."""
    from omegaconf import OmegaConf

    groups, values, dropped = [], OmegaConf.create({}), []
    for ov in line:
        match = GROUP_OVERRIDE.match(ov)
        if match:
            groups.append(f"  - override /{match.group(1)}: {match.group(2)}")
            continue
        if ov.startswith(("hydra.", "~")):
            dropped.append(ov)
            continue
        key = ov.lstrip("+").split("=", 1)[0]
        OmegaConf.update(values, key, OmegaConf.select(run_cfg, key), force_add=True)
    head = [
        "# @package _global_",
        f"# rewardgym-tune study {study_name}: best trial {number}, {objective} = {value:.4g}",
        f"#   rewardgym-train hydra.searchpath=[file://{searchpath}] +experiment={study_name}",
        "# is the same run as",
        f"#   rewardgym-train {' '.join(line)}",
    ] + [f"# (not expressible here, add it to the command line: {ov})" for ov in dropped]
    body = OmegaConf.to_yaml(values) if len(values) else ""
    defaults = ["defaults:", *groups] if groups else []
    return "\n".join(head + defaults) + "\n" + body


def _plots(study, directory: Path) -> list[str]:
    """history.png, importance.png, intermediate.png; returns notes on plots that were skipped."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from optuna.visualization import matplotlib as ovm

    notes = []
    finished = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    plots = {"history.png": ovm.plot_optimization_history, "intermediate.png": ovm.plot_intermediate_values,
             "importance.png": ovm.plot_param_importances}
    for name, plot in plots.items():
        if name == "importance.png" and len(finished) < 2:
            notes.append(f"{name}: needs 2 finished trials, the study has {len(finished)}")
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ax = plot(study)
            except (ValueError, RuntimeError) as err:  # e.g. importances of a space with one value
                notes.append(f"{name}: {err}")
                continue
        fig = ax.figure if hasattr(ax, "figure") else ax.flat[0].figure
        fig.set_size_inches(8, 5)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
        plt.close(fig)
        _atomic_write(directory / name, buf.getvalue())
    return notes


def write_report(study, settings) -> dict:
    """Writes every file above; returns their paths, the best trial's line and ``text``: what
    ``rewardgym-tune`` prints at the end. Hydra must be initialised on ``rewardgym.conf``."""
    from .trial import compose_run_config

    directory = Path(settings.dir)
    directory.mkdir(parents=True, exist_ok=True)
    table = rows(study, settings)
    keys = [p.key for p in settings.params]
    short = [k.rsplit(".", 1)[-1] for k in keys]
    names = short if len(set(short)) == len(short) else keys
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["trial", "state", settings.objective, "env_steps", "minutes", "retry_of", *keys, "run_dir"])
    for r in table:
        writer.writerow([r["trial"], r["state"], r["value"], r["env_steps"], r["minutes"], r["retry_of"],
                         *[format_value(r[k]) if r[k] is not None else "" for k in keys], r["run_dir"]])
    _atomic_write(directory / "summary.csv", buf.getvalue())

    count = {s: sum(r["state"] == s for r in table) for s in ("COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING")}
    steps = sum(r["env_steps"] or 0 for r in table if r["state"] in ("COMPLETE", "PRUNED"))
    complete = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    best = max(complete, key=lambda t: t.value) if complete else None
    lines = [f"# rewardgym-tune study `{settings.study}`", "",
             f"Storage `{settings.storage}`; objective `{settings.objective}` (ground truth, maximised); pruner "
             f"`{settings.pruner}`, sampler `{settings.sampler}`; every trial: `rewardgym-train "
             f"{' '.join(settings.base)}` plus its sampled values.", "",
             f"Trials: {count['COMPLETE']} complete, {count['PRUNED']} pruned, {count['FAIL']} failed, "
             f"{count['RUNNING']} running, {count['WAITING']} waiting (of {settings.n_trials}). Env steps trained "
             f"by the complete and pruned trials: {steps:,}.", ""]
    out: dict[str, Any] = {"summary": directory / "summary.md", "csv": directory / "summary.csv", "best": None}
    if best is not None:
        line = best.user_attrs["overrides"]
        run_dir = Path(best.user_attrs["run_dir"])
        run_cfg = compose_run_config(line)  # the run folder may be on another machine of the study
        searchpath = str(directory.resolve())
        exp = directory / "experiment" / f"{settings.study}.yaml"
        exp.parent.mkdir(exist_ok=True)
        _atomic_write(exp, experiment_yaml(settings.study, line, run_cfg, best.value, settings.objective,
                                           best.number, searchpath))
        _atomic_write(directory / "best.txt", "rewardgym-train " + " ".join(line) + "\n")
        out.update(best=best.number, line=line, experiment=exp)
        lines += [f"Best: trial {best.number}, {settings.objective} = {best.value:.4g} ({run_dir})", "", "```",
                  f"rewardgym-train {' '.join(line)}",
                  f"rewardgym-train hydra.searchpath=[file://{searchpath}] +experiment={settings.study}", "```", ""]
    head = ["trial", "state", settings.objective, "env steps", "min", *names]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in table:
        state = r["state"] + (f" at {r['pruned_at']:,}" if r["pruned_at"] is not None else "")
        state += f" (retry of {r['retry_of']})" if r["retry_of"] is not None else ""
        env_steps = f"{r['env_steps']:,}" if r["env_steps"] is not None else ""
        lines.append("| " + " | ".join([str(r["trial"]), state, _fmt(r["value"]), env_steps, _fmt(r["minutes"]),
                                        *[_fmt(r[k]) if r[k] is not None else "null" for k in keys]]) + " |")
    notes = _plots(study, directory)
    lines += [""] + [f"![{n}]({n})" for n in ("history.png", "importance.png", "intermediate.png")
                     if (directory / n).exists()]
    lines += [f"- {n}" for n in notes]
    text = "\n".join(lines) + "\n"
    _atomic_write(directory / "summary.md", text)
    out["text"] = text
    return out
