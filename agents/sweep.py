"""Hydra callback writing one summary table of a multirun's ``metrics.json`` files."""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from rewardgym.cli import run_overrides


def _flat(d: dict, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


COLUMNS = ["run", "overrides", "eval.success_rate", "eval.return_mean", "random_policy.success_rate",
           "random_policy.return_mean", "total_timesteps", "steps_per_second", "wall_time_s"]
# With eval.every > 0 a run writes eval_curve.json (agents/eval_callback.py): the env steps at the
# first ground-truth evaluation reaching each of these success rates (empty: never reached).
THRESHOLDS = (0.5, 0.8)
CURVE_COLUMNS = ["best_eval_success"] + [f"steps_to_{t:.0%}" for t in THRESHOLDS]


def curve_columns(run: Path) -> dict[str, Any]:
    """Steps-to-success columns of one run from its ``eval_curve.json`` (``{}`` without one)."""
    path = run / "eval_curve.json"
    if not path.exists():
        return {}
    curve = json.loads(path.read_text())
    out: dict[str, Any] = {"best_eval_success": max((e["success_rate"] for e in curve), default=None)}
    for t, col in zip(THRESHOLDS, CURVE_COLUMNS[1:]):
        out[col] = next((e["steps"] for e in curve if e["success_rate"] >= t), None)
    return out


def grouped(rows: list[dict]) -> list[str]:
    """Markdown lines of one row per configuration (the overrides without ``seed=``): seeds,
    mean final success and, per threshold, the mean steps to reach it; a seed that never
    reached it counts as its budget and the mean is then a lower bound (``>=``)."""
    groups: dict[str, list[dict]] = {}
    for r in rows:
        key = " ".join(o for o in r["overrides"].split() if not o.startswith("seed="))
        groups.setdefault(key, []).append(r)
    head = ["configuration", "seeds", "eval.success_rate (mean)"] + [f"{c} (mean)" for c in CURVE_COLUMNS[1:]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key, rs in groups.items():
        finals = [r["eval.success_rate"] for r in rs if isinstance(r.get("eval.success_rate"), (int, float))]
        cells = [key or "(none)", str(len(rs)), f"{sum(finals) / len(finals):.3g}" if finals else ""]
        for col in CURVE_COLUMNS[1:]:
            if not all(col in r for r in rs):
                cells.append("")
                continue
            steps = [r[col] if r[col] is not None else r.get("total_timesteps") for r in rs]
            missed = sum(r[col] is None for r in rs)
            mean = sum(steps) / len(steps) if None not in steps else None
            cells.append("" if mean is None else (">= " if missed else "") + f"{mean:.0f}"
                         + (f" ({len(rs) - missed}/{len(rs)} reached)" if missed else ""))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def summarize(sweep_dir: Path) -> Path | None:
    """Writes ``summary.csv`` and ``summary.md`` in ``sweep_dir``; returns the md path."""
    rows = []
    for metrics_file in sorted(Path(sweep_dir).glob("*/metrics.json")):
        run = metrics_file.parent
        flat = _flat(json.loads(metrics_file.read_text()))
        overrides = " ".join(run_overrides(run))
        rows.append({"run": run.name, "overrides": overrides, **flat, **curve_columns(run)})
    if not rows:
        return None
    columns = COLUMNS + (CURVE_COLUMNS if any("best_eval_success" in r for r in rows) else [])
    with open(Path(sweep_dir) / "summary.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)

    def fmt(v: Any) -> str:
        return f"{v:.3g}" if isinstance(v, float) else str(v if v is not None else "")

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(fmt(r.get(c)) for c in columns) + " |" for r in rows]
    if len(rows) > 1:
        lines += ["", "Mean over seeds:", ""] + grouped(rows)
    md = Path(sweep_dir) / "summary.md"
    md.write_text("\n".join(lines) + "\n")
    return md


class SweepSummary(Callback):
    """Hydra callback: when a multirun ends, writes its summary table and prints it."""

    label = "sweep summary"
    summarize = staticmethod(summarize)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        md = self.summarize(Path(config.hydra.sweep.dir))
        if md is not None:
            print(f"[rewardgym] {self.label}: {md}")
            print(md.read_text())
