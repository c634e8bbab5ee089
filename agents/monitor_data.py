"""Reads the Monitor CSVs of a run and draws its learning curve."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np


def load_episodes(run_dir: Path) -> dict[str, np.ndarray]:
    """All episodes of all envs, ordered by wall time: arrays ``r``, ``l``, ``t``, ``success``,
    ``timesteps`` (cumulative env steps across envs when the episode ended)."""
    rows = []
    for path in sorted((Path(run_dir) / "monitor").glob("*.monitor.csv")):
        with open(path) as f:
            f.readline()  # the JSON header line
            for row in csv.DictReader(f):
                if row.get("r") in (None, "", "r"):
                    continue  # a header repeated by a resumed run
                success = row.get("success", "")
                rows.append((float(row["t"]), float(row["r"]), int(row["l"]), success in ("True", "1", "1.0")))
    rows.sort()
    if not rows:
        return {k: np.zeros(0) for k in ("t", "r", "l", "success", "timesteps")}
    t, r, length, success = map(np.asarray, zip(*rows))
    return {"t": t, "r": r, "l": length, "success": success.astype(float), "timesteps": np.cumsum(length)}


def smooth(x: np.ndarray, window: int) -> np.ndarray:
    if len(x) == 0:
        return x
    window = max(1, min(window, len(x)))
    c = np.cumsum(np.insert(x, 0, 0.0))
    out = np.empty(len(x))
    for i in range(len(x)):
        lo = max(0, i + 1 - window)
        out[i] = (c[i + 1] - c[lo]) / (i + 1 - lo)
    return out


def plot_learning_curve(run_dir: Path, out: Path, title: str = "", random_baseline: dict | None = None,
                        agent: str = "training episodes") -> Path:
    """PNG of ground-truth return and success rate against env steps (moving average); ``agent``
    names the curve (the run's algorithm, e.g. ``"SAC"``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ep = load_episodes(run_dir)
    window = max(1, len(ep["r"]) // 20)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for ax, key, label in ((axes[0], "r", "ground-truth return"), (axes[1], "success", "success rate")):
        ax.plot(ep["timesteps"], ep[key], ".", alpha=0.15, color="tab:blue", ms=3)
        ax.plot(ep["timesteps"], smooth(ep[key], window), color="tab:blue", label=f"{agent} (moving avg {window})")
        if random_baseline and key in random_baseline:
            ax.axhline(random_baseline[key], color="tab:red", ls="--", label="random policy")
        ax.set_xlabel("env steps")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
