"""Hydra callback of ``rewardgym-eval-reward -m``: one comparison table and a metric-vs-parameter plot."""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any
from rewardgym.agents.sweep import SweepSummary
from rewardgym.cli import run_overrides

METRICS = ("pearson", "spearman", "epic", "auc_success")


def _overrides(run: Path) -> dict[str, str]:
    """``{key: value}`` of the run's command-line overrides (``rewardgym.cli.run_overrides``)."""
    return dict(o.split("=", 1) for o in run_overrides(run) if "=" in o)


def _num(v: str) -> float | None:
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def summarize(sweep_dir: Path) -> Path | None:
    """Writes ``comparison.csv``, ``comparison.md`` and ``comparison.png``; returns the md path."""
    rows = []
    for report in sorted(Path(sweep_dir).glob("*/report.json"), key=lambda p: p.parent.name):
        data = json.loads(report.read_text())
        m = data["metrics"]["all"]
        rows.append({"run": report.parent.name, "overrides": _overrides(report.parent),
                     **{k: m.get(k) for k in METRICS}, "threshold": (m.get("best_threshold") or {}).get("threshold"),
                     "steps": m.get("steps"), "episodes": m.get("episodes")})
    if not rows:
        return None
    keys = sorted({k for r in rows for k in r["overrides"]})
    varying = [k for k in keys if len({r["overrides"].get(k) for r in rows}) > 1]
    cols = varying + list(METRICS) + ["threshold", "steps", "episodes"]
    with open(Path(sweep_dir) / "comparison.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for r in rows:
            w.writerow([r["overrides"].get(c, r.get(c)) if c in varying else r.get(c) for c in cols])

    def fmt(v: Any) -> str:
        return "n/a" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))

    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(fmt(r["overrides"].get(c)) if c in varying else fmt(r.get(c)) for c in cols) + " |"
              for r in rows]
    md = Path(sweep_dir) / "comparison.md"
    md.write_text("# Reward quality sweep\n\n" + "\n".join(lines) + "\n\n![metrics](comparison.png)\n")
    _plot(rows, varying, Path(sweep_dir) / "comparison.png")
    return md


def _plot(rows: list[dict], varying: list[str], out: Path) -> None:
    from .report import _mpl

    plt = _mpl()
    numeric = [k for k in varying if all(_num(r["overrides"].get(k)) is not None for r in rows)]
    fig, ax = plt.subplots(figsize=(6, 3.6))
    if len(varying) == 1 and numeric:
        key = numeric[0]
        xs = [_num(r["overrides"][key]) for r in rows]
        order = sorted(range(len(rows)), key=lambda i: xs[i])
        for metric in METRICS:
            ax.plot([xs[i] for i in order], [rows[i][metric] if rows[i][metric] is not None else float("nan")
                                              for i in order], "o-", label=metric)
        ax.set_xlabel(key)
    else:
        labels = [" ".join(f"{k}={r['overrides'].get(k)}" for k in varying) or r["run"] for r in rows]
        for metric in METRICS:
            ax.plot(range(len(rows)), [r[metric] if r[metric] is not None else float("nan") for r in rows], "o-",
                    label=metric)
        ax.set_xticks(range(len(rows)), labels, rotation=30, ha="right", fontsize=7)
    ax.set_ylabel("metric")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)


class RewardSweepSummary(SweepSummary):
    """Hydra callback of ``rewardgym-eval-reward -m``: the comparison table of the sweep's reports."""

    label = "reward sweep comparison"
    summarize = staticmethod(summarize)
