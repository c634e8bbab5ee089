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


def summarize(sweep_dir: Path) -> Path | None:
    """Writes ``summary.csv`` and ``summary.md`` in ``sweep_dir``; returns the md path."""
    rows = []
    for metrics_file in sorted(Path(sweep_dir).glob("*/metrics.json")):
        run = metrics_file.parent
        flat = _flat(json.loads(metrics_file.read_text()))
        overrides = " ".join(run_overrides(run))
        rows.append({"run": run.name, "overrides": overrides, **flat})
    if not rows:
        return None
    with open(Path(sweep_dir) / "summary.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)

    def fmt(v: Any) -> str:
        return f"{v:.3g}" if isinstance(v, float) else str(v if v is not None else "")

    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(fmt(r.get(c)) for c in COLUMNS) + " |" for r in rows]
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
