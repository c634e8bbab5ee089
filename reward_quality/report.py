"""Writes a reward-quality report folder: ``report.json``, ``report.md`` and PNG figures."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from .metrics import reward_metrics, roc_auc
from .rollouts import Episode


def _mpl():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def steps_arrays(episodes: list[Episode]) -> dict[str, np.ndarray]:
    cat = lambda key: np.concatenate([np.asarray(getattr(e, key), dtype=np.float64) for e in episodes]) if episodes else np.zeros(0)  # noqa: E731
    return {"model": cat("model"), "gt": cat("gt"), "success": cat("success").astype(bool)}


def compute(episodes: list[Episode], order: list[str] | None = None) -> dict[str, Any]:
    """Metrics over all steps, per policy (in ``order``), and per episode (return vs final success)."""
    arr = steps_arrays(episodes)
    out: dict[str, Any] = {"all": reward_metrics(arr["model"], arr["gt"], arr["success"])}
    out["all"]["episodes"] = len(episodes)
    out["per_policy"] = {}
    for name in [p for p in (order or []) if any(e.policy == p for e in episodes)] + [
            p for p in dict.fromkeys(e.policy for e in episodes) if p not in (order or [])]:
        eps = [e for e in episodes if e.policy == name]
        a = steps_arrays(eps)
        m = reward_metrics(a["model"], a["gt"], a["success"])
        m.update(episodes=len(eps), success_rate_final=float(np.mean([e.success[-1] for e in eps])),
                 model_return_mean=float(np.mean([np.sum(e.model) for e in eps])),
                 gt_return_mean=float(np.mean([np.sum(e.gt) for e in eps])),
                 auc_success_over_failing=_success_over_failing(arr, a))
        out["per_policy"][name] = m
    ret_m = np.array([np.sum(e.model) for e in episodes])
    ret_g = np.array([np.sum(e.gt) for e in episodes])
    final = np.array([e.success[-1] for e in episodes], dtype=bool)
    ep = reward_metrics(ret_m, ret_g, final) if len(episodes) > 1 else {}
    out["episode_returns"] = {k: ep.get(k) for k in ("pearson", "spearman", "auc_success")}
    return out


def _success_over_failing(every: dict[str, np.ndarray], own: dict[str, np.ndarray]) -> float:
    """ROC AUC of the model reward for the success steps of every policy against this policy's failing
    steps: the chance that a success frame outscores one of its failures. Below 0.5 the policy's
    failures look more like the goal to the model than the goal itself (what a hacking policy finds)."""
    wins, fails = every["model"][every["success"]], own["model"][~own["success"]]
    if not len(wins) or not len(fails):
        return float("nan")
    return roc_auc(np.concatenate([wins, fails]), np.r_[np.ones(len(wins)), np.zeros(len(fails))].astype(bool))


def _f(v, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    return f"{v:.{digits}f}" if isinstance(v, float) else str(v)


METRIC_COLUMNS = [("pearson", "Pearson"), ("spearman", "Spearman"), ("epic", "EPIC"), ("auc_success", "AUC(success)"),
                  ("threshold", "best threshold"), ("success_rate_steps", "success steps"), ("steps", "steps"),
                  ("episodes", "episodes")]


def table_row(m: dict) -> list[str]:
    row = []
    for key, _ in METRIC_COLUMNS:
        v = m.get("best_threshold", {}).get("threshold") if key == "threshold" else m.get(key)
        row.append(_f(v))
    return row


def write_markdown(path: Path, title: str, info: dict, metrics: dict, figures: list[str], notes: list[str]) -> None:
    head = "| " + " | ".join(["policy"] + [c for _, c in METRIC_COLUMNS]) + " |"
    lines = [f"# Reward quality: {title}", ""]
    lines += [f"- **{k}**: {v}" for k, v in info.items()]
    lines += ["", "## Model reward vs ground truth (per step)", "", head, "|" + "---|" * (len(METRIC_COLUMNS) + 1)]
    lines.append("| " + " | ".join(["**all**"] + table_row(metrics["all"])) + " |")
    for name, m in metrics["per_policy"].items():
        lines.append("| " + " | ".join([name] + table_row(m)) + " |")
    bt = metrics["all"].get("best_threshold", {})
    ep = metrics["episode_returns"]
    lines += ["", f"Best threshold (max TPR - FPR): model reward >= {_f(bt.get('threshold'))} predicts success "
                  f"with TPR {_f(bt.get('tpr'))}, FPR {_f(bt.get('fpr'))}, accuracy {_f(bt.get('accuracy'))}. "
                  f"AUC of the ground-truth reward itself: {_f(metrics['all'].get('auc_success_gt'))}.",
              "", f"Per episode: Pearson of model vs ground-truth returns {_f(ep.get('pearson'))}, Spearman "
                  f"{_f(ep.get('spearman'))}; AUC of the model return for final success {_f(ep.get('auc_success'))}.",
              "", "| policy | episodes | final success rate | model return | GT return | success over its failures (AUC) |",
              "|---|---|---|---|---|---|"]
    for name, m in metrics["per_policy"].items():
        lines.append(f"| {name} | {m['episodes']} | {_f(m['success_rate_final'])} | {_f(m['model_return_mean'])} | "
                     f"{_f(m['gt_return_mean'])} | {_f(m.get('auc_success_over_failing'))} |")
    lines += ["", "Success over its failures: the chance that a success frame (any policy's) gets a higher model "
                  "reward than one of this policy's failing frames; below 0.5 its failures outscore the goal."]
    if notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in notes]
    lines += ["", "## Figures", ""] + [f"![{Path(f).stem}]({f})" for f in figures]
    lines += ["", "How to read these numbers: docs/reward_quality.md in the rewardgym repository."]
    path.write_text("\n".join(lines) + "\n")


def write_json(path: Path, payload: dict) -> None:
    def clean(v):
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [clean(x) for x in v]
        if isinstance(v, (float, np.floating)):
            return None if math.isnan(float(v)) else float(v)
        if isinstance(v, np.integer):
            return int(v)
        return v

    path.write_text(json.dumps(clean(payload), indent=2))


# ------------------------------------------------------------------ figures
def plot_curves(episodes: list[Episode], out: Path, max_episodes: int = 4) -> Path | None:
    """Per-episode model and ground-truth reward curves (own y axes), a strip of frames below."""
    chosen = _pick_episodes(episodes, max_episodes)
    if not chosen:
        return None
    plt = _mpl()
    n_frames = max((len(e.frames) for e in chosen), default=0)
    rows = len(chosen)
    fig = plt.figure(figsize=(max(8, 1.3 * n_frames), 3.2 * rows))
    grid = fig.add_gridspec(rows * 2, max(n_frames, 1), height_ratios=[2.2, 1] * rows, hspace=0.5)
    for r, ep in enumerate(chosen):
        ax = fig.add_subplot(grid[2 * r, :])
        t = np.arange(ep.length)
        ax.plot(t, ep.model, color="tab:blue", label="model reward")
        ax.set_ylabel("model", color="tab:blue")
        ax2 = ax.twinx()
        ax2.plot(t, ep.gt, color="tab:orange", label="ground truth")
        ax2.set_ylabel("ground truth", color="tab:orange")
        succ = np.flatnonzero(ep.success)
        if len(succ):
            ax.plot(succ, np.asarray(ep.model)[succ], "g.", ms=5, label="success")
        ax.set_title(f"{ep.policy}: {ep.length} steps, final success {ep.success[-1]}", fontsize=9)
        ax.set_xlim(-0.5, max(ep.length - 0.5, 0.5))
        ax.legend(loc="upper left", fontsize=7)
        for c, (step, frame) in enumerate(ep.frames[:n_frames]):
            fax = fig.add_subplot(grid[2 * r + 1, c])
            if frame is not None:
                fax.imshow(frame)
            fax.set_title(f"t={step}", fontsize=7)
            fax.axis("off")
    fig.savefig(out, dpi=80, bbox_inches="tight")
    plt.close(fig)
    return out


def _pick_episodes(episodes: list[Episode], k: int) -> list[Episode]:
    """Episodes with frames, preferring one successful and one failed per policy."""
    with_frames = [e for e in episodes if e.frames]
    picked: list[Episode] = []
    for want in (True, False):
        for policy in dict.fromkeys(e.policy for e in with_frames):
            for e in with_frames:
                if e.policy == policy and e.success[-1] == want and e not in picked:
                    picked.append(e)
                    break
    return picked[:k]


def plot_scatter(episodes: list[Episode], out: Path, title: str = "") -> Path:
    plt = _mpl()
    fig, ax = plt.subplots(figsize=(5.2, 4.4))
    for name in dict.fromkeys(e.policy for e in episodes):
        a = steps_arrays([e for e in episodes if e.policy == name])
        ax.scatter(a["gt"], a["model"], s=6, alpha=0.4, label=name)
    a = steps_arrays(episodes)
    if a["success"].any():
        ax.scatter(a["gt"][a["success"]], a["model"][a["success"]], s=14, facecolors="none", edgecolors="green",
                   linewidths=0.6, label="success steps")
    ax.set_xlabel("ground-truth reward")
    ax.set_ylabel("model reward")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="best")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return out


def plot_gui_heatmap(episode: Episode, alpha: float, out: Path) -> Path | None:
    """Screenshot with the Gaussian point reward of a click at every pixel, target boxes, clicks."""
    from rewardgym.reward_wrappers.gaussian import point_reward

    boxes = np.asarray(episode.reset_info.get("target_boxes", np.zeros((0, 4))), dtype=np.float64).reshape(-1, 4)
    if episode.first_frame is None or len(boxes) == 0:
        return None
    plt = _mpl()
    img = episode.first_frame
    h, w = img.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w]
    pts = np.stack([(xs + 0.5) / w, (ys + 0.5) / h], -1).reshape(-1, 1, 2)
    heat = point_reward(pts, boxes[None], alpha).max(-1).reshape(h, w)
    fig, ax = plt.subplots(figsize=(4, 4 * h / w + 0.4))
    ax.imshow(img)
    cmap = plt.get_cmap("inferno")
    overlay = cmap(heat)
    overlay[..., 3] = 0.75 * heat  # transparent where the reward is ~0: the page stays readable
    ax.imshow(overlay)
    im = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, 1))
    for b in boxes:
        ax.add_patch(plt.Rectangle((b[0] * w, b[1] * h), (b[2] - b[0]) * w, (b[3] - b[1]) * h, fill=False,
                                   edgecolor="cyan", lw=1.5))
    for a in episode.actions:
        p = (a[:2] + a[2:]) / 2 if a.shape[0] == 4 else a
        ax.plot(p[0] * w, p[1] * h, "wx", ms=7, mew=2)
    ax.set_title(f"Gaussian point reward (alpha={alpha}); box: target, x: clicks ({episode.policy})", fontsize=7)
    ax.axis("off")
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.savefig(out, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return out


def plot_keypoints(episode: Episode, out: Path) -> Path | None:
    """First frame with the proposed keypoints (grasp, waypoints) drawn and joined in order."""
    kp = episode.reset_info.get("keypoints_px")
    if episode.first_frame is None or kp is None or len(kp) == 0:
        return None
    plt = _mpl()
    kp = np.asarray(kp, dtype=np.float64).reshape(-1, 2)
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.imshow(episode.first_frame)
    ax.plot(kp[:, 0], kp[:, 1], "-", color="yellow", lw=1.5)
    for i, (x, y) in enumerate(kp):
        ax.plot(x, y, "o", color="red" if i == 0 else "cyan", ms=8, mec="black")
        ax.annotate(f"k{i}", (x, y), xytext=(5, -5), textcoords="offset points", color="white", fontsize=9,
                    weight="bold")
    ax.set_title("keypoints proposed on the first frame (k0 first, then in order)", fontsize=8)
    ax.axis("off")
    fig.savefig(out, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return out
