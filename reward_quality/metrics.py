"""Agreement of a model reward with the ground truth: correlations, EPIC distance, ROC AUC.

EPIC (Gleave et al. 2021, "Quantifying Differences in Reward Functions") compares two rewards
up to what cannot change optimal policies: positive scaling and potential shaping. Each reward
is first *canonicalised* over a coverage distribution (states ``S, S' ~ D_S`` and actions
``A ~ D_A``, drawn independently)::

    C(R)(s, a, s') = R(s, a, s') + gamma E[R(s', A, S')] - E[R(s, A, S')] - gamma E[R(S, A, S')]

which removes any potential shaping ``gamma Phi(s') - Phi(s)``; then

    D_EPIC(R_A, R_B) = sqrt((1 - rho) / 2),   rho = Pearson(C(R_A), C(R_B)) over (s, a, s') ~ D

which ignores positive scaling: 0 for equivalent rewards, ~0.707 for uncorrelated ones, 1 for
a negated one. :func:`canonicalize` estimates the expectations by Monte Carlo over ``M``
coverage samples, with the reward given as a vectorised function of ``(s, a, s')``.

A reward of the next state only, ``R(s, a, s') = f(s')`` (a CLIP reward of the frame after the
step), needs no evaluation off the data: every expectation above is ``E_{D_S}[f]``, so
``C(R) = f(s') - E_{D_S}[f]`` and EPIC reduces to ``sqrt((1 - Pearson(f, g)) / 2)``
(:func:`epic_state_only`).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from scipy import stats

RewardFn = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def _pair(x, y) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if x.shape != y.shape:
        raise ValueError(f"reward arrays must have the same length, got {x.shape[0]} and {y.shape[0]}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("rewards must be finite (found NaN or inf)")
    return x, y


def _constant(x: np.ndarray) -> bool:
    return len(x) < 2 or float(np.ptp(x)) <= 1e-12 * max(1.0, float(np.abs(x).max()))


def pearson(x, y) -> float:
    """Pearson correlation; NaN when either side is constant (or has < 2 samples)."""
    x, y = _pair(x, y)
    if _constant(x) or _constant(y):
        return float("nan")
    return float(np.clip(stats.pearsonr(x, y)[0], -1.0, 1.0))


def spearman(x, y) -> float:
    """Spearman rank correlation (ties get average ranks); NaN when either side is constant."""
    x, y = _pair(x, y)
    if _constant(x) or _constant(y):
        return float("nan")
    return float(stats.spearmanr(x, y)[0])


def epic_from_rho(rho: float) -> float:
    """``sqrt((1 - rho) / 2)``; NaN stays NaN."""
    return float(np.sqrt(max(0.0, (1.0 - rho) / 2.0))) if np.isfinite(rho) else float("nan")


def canonicalize(reward: RewardFn, s: np.ndarray, a: np.ndarray, s_next: np.ndarray,
                 cov_s: np.ndarray, cov_a: np.ndarray, gamma: float = 0.99, chunk: int = 256) -> np.ndarray:
    """EPIC canonical form of ``reward`` at N transitions, expectations over M coverage samples.

    Args:
        reward: vectorised ``R(s, a, s') -> (K,)`` on arrays whose first axis is K.
        s, a, s_next: the N transitions to canonicalise (first axis N).
        cov_s, cov_a: M coverage states (``S`` and ``S'`` are both drawn from ``cov_s``) and M
            coverage actions. Pairing: ``S_j = cov_s[j]``, ``A_j = cov_a[j]``,
            ``S'_j = cov_s[(j + 1) % M]`` (independent draws when ``cov_s`` is shuffled).
        gamma: discount in [0, 1].

    Returns:
        (N,) canonicalised rewards.
    """
    if not 0.0 <= gamma <= 1.0:
        raise ValueError(f"gamma should be in [0, 1]. Received {gamma}")
    cov_s, cov_a = np.asarray(cov_s), np.asarray(cov_a)
    m = len(cov_s)
    if m < 2 or len(cov_a) != m:
        raise ValueError(f"need >= 2 coverage states and as many actions, got {m} and {len(cov_a)}")
    cov_sn = np.roll(cov_s, -1, axis=0)
    # E[R(S, A, S')]: one constant
    mean_all = float(np.mean(reward(cov_s, cov_a, cov_sn)))

    def mean_from(states: np.ndarray) -> np.ndarray:
        """E_{A, S'}[R(x, A, S')] for each x in ``states``."""
        out = np.empty(len(states))
        for i in range(0, len(states), chunk):
            x = states[i:i + chunk]
            k = len(x)
            xs = np.repeat(x, m, axis=0)
            r = reward(xs, np.tile(cov_a, (k,) + (1,) * (cov_a.ndim - 1)),
                       np.tile(cov_sn, (k,) + (1,) * (cov_sn.ndim - 1)))
            out[i:i + chunk] = np.asarray(r, dtype=np.float64).reshape(k, m).mean(1)
        return out

    r = np.asarray(reward(s, a, s_next), dtype=np.float64).reshape(-1)
    return r + gamma * mean_from(np.asarray(s_next)) - mean_from(np.asarray(s)) - gamma * mean_all


def epic_distance(reward_a: RewardFn, reward_b: RewardFn, s, a, s_next, cov_s, cov_a,
                  gamma: float = 0.99) -> float:
    """EPIC pseudometric between two reward functions (see the module docstring)."""
    ca = canonicalize(reward_a, s, a, s_next, cov_s, cov_a, gamma)
    cb = canonicalize(reward_b, s, a, s_next, cov_s, cov_a, gamma)
    return epic_from_rho(pearson(ca, cb))


def epic_state_only(model_values, gt_values) -> float:
    """EPIC distance of two rewards of the next state, from their values at visited states.

    With ``R(s, a, s') = f(s')`` the canonical form is ``f(s') - E_{D_S}[f]`` (the coverage
    distribution D_S = the visited states), so only their Pearson correlation remains.
    """
    x, y = _pair(model_values, gt_values)
    return epic_from_rho(pearson(x - x.mean(), y - y.mean()))


def roc_auc(scores, labels) -> float:
    """ROC AUC of ``scores`` for detecting ``labels`` (Mann-Whitney U, ties count one half).

    NaN when only one class is present.
    """
    scores, labels = _pair(scores, np.asarray(labels, dtype=bool).astype(np.float64))
    pos = labels > 0.5
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = stats.rankdata(scores)
    u = ranks[pos].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def best_threshold(scores, labels) -> dict[str, float]:
    """Threshold ``t`` (predict success when ``score >= t``) maximising Youden's J = TPR - FPR.

    Returns ``{threshold, tpr, fpr, youden_j, accuracy}``; NaNs when only one class is present.
    """
    scores, labels = _pair(scores, np.asarray(labels, dtype=bool).astype(np.float64))
    pos = labels > 0.5
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        return {k: float("nan") for k in ("threshold", "tpr", "fpr", "youden_j", "accuracy")}
    cand = np.unique(scores)
    # predictions for every candidate threshold at once (sorted scores, cumulative counts)
    order = np.argsort(-scores, kind="stable")
    sorted_scores, sorted_pos = scores[order], pos[order]
    tp = np.cumsum(sorted_pos)
    fp = np.cumsum(~sorted_pos)
    # for threshold t = cand[k], everything with score >= t is predicted positive
    last = np.searchsorted(-sorted_scores, -cand, side="right") - 1
    tpr, fpr = tp[last] / n_pos, fp[last] / n_neg
    j = tpr - fpr
    k = int(np.argmax(j))
    acc = (tp[last[k]] + (n_neg - fp[last[k]])) / len(scores)
    return {"threshold": float(cand[k]), "tpr": float(tpr[k]), "fpr": float(fpr[k]),
            "youden_j": float(j[k]), "accuracy": float(acc)}


def reward_metrics(model, gt, success=None) -> dict[str, float]:
    """All metrics of one set of steps: Pearson, Spearman, EPIC (state-only), AUC, threshold."""
    model, gt = _pair(model, gt)
    out = {"pearson": pearson(model, gt), "spearman": spearman(model, gt), "epic": epic_state_only(model, gt),
           "steps": int(len(model))}
    if success is not None:
        success = np.asarray(success, dtype=bool).reshape(-1)
        out["auc_success"] = roc_auc(model, success)
        out["auc_success_gt"] = roc_auc(gt, success)
        out["best_threshold"] = best_threshold(model, success)
        out["success_rate_steps"] = float(success.mean()) if len(success) else float("nan")
    return out
