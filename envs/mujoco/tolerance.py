"""Bounded reward terms in [0, 1], in the style of dm_control's ``rewards.tolerance``.

The one ``tolerance`` of rewardgym's MuJoCo tasks: the humanoid poses use the exponential
fall-off, the manipulation tasks the Gaussian and linear ones.
"""
from __future__ import annotations

import math

import numpy as np

SIGMOIDS = ("gaussian", "linear", "exponential")


def tolerance(x, lower: float = -math.inf, upper: float = math.inf, margin: float = 1.0,
              value_at_margin: float = 0.1, sigmoid: str = "gaussian"):
    """1 inside ``[lower, upper]``; outside, a fall-off in the distance ``d`` to the nearest bound
    that equals ``value_at_margin`` at ``d = margin`` (0 < value_at_margin < 1). ``margin=0``
    gives a hard 0/1 indicator. A Python number gives a float, an array an array.

    * ``"gaussian"``: ``exp(-1/2 (s d / margin)^2)`` with ``s = sqrt(2 ln(1/v))``: flat at the
      bound, so a point just outside scores almost 1. Measured here: a PPO "stand" policy
      earned 99.97 of 100 with the head at 1.37 m against a 1.40 m bound, i.e. almost full
      reward while failing the test; hence the humanoid poses use the exponential.
    * ``"exponential"``: ``v ** (d / margin)``: a slope at the bound, so a policy that stays
      just outside the region loses reward it can see.
    * ``"linear"``: the same slope everywhere until it reaches 0 at ``margin / (1 - v)``, so
      "close" is visibly worse than "inside".

    >>> tolerance(0.5, lower=0.0, upper=1.0), round(tolerance(1.2, upper=1.0, margin=0.2), 3)
    (1.0, 0.1)
    >>> round(tolerance(1.2, upper=1.0, margin=0.2, sigmoid="exponential"), 3)
    0.1
    >>> float(tolerance(np.array(0.5), upper=0.0, margin=1.0, sigmoid="linear"))
    0.55
    """
    if lower > upper:
        raise ValueError(f"lower ({lower}) must be <= upper ({upper})")
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    if sigmoid not in SIGMOIDS:
        raise ValueError(f"sigmoid must be one of {SIGMOIDS}, got {sigmoid!r}")
    if not 0.0 < value_at_margin < 1.0:
        raise ValueError(f"value_at_margin must be in (0, 1), got {value_at_margin}")
    if isinstance(x, (int, float)):  # the per-step scalar path, without numpy's overhead
        if lower <= x <= upper:
            return 1.0
        if margin == 0:
            return 0.0
        return _falloff((lower - x if x < lower else x - upper) / margin, value_at_margin, sigmoid)
    x = np.asarray(x, dtype=np.float64)
    inside = (x >= lower) & (x <= upper)
    if margin == 0:
        return np.where(inside, 1.0, 0.0)
    d = np.where(x < lower, lower - x, x - upper) / margin
    return np.where(inside, 1.0, _falloff(d, value_at_margin, sigmoid))


def _falloff(d, v: float, sigmoid: str):
    """The value at scaled distance ``d`` (> 0) outside the bounds."""
    if sigmoid == "exponential":
        return np.exp(math.log(v) * d) if isinstance(d, np.ndarray) else math.exp(math.log(v) * d)
    if sigmoid == "linear":
        return np.clip(1.0 - d * (1.0 - v), 0.0, 1.0) if isinstance(d, np.ndarray) else min(max(1.0 - d * (1.0 - v), 0.0), 1.0)
    s = math.sqrt(-2.0 * math.log(v))
    return np.exp(-0.5 * (d * s) ** 2) if isinstance(d, np.ndarray) else math.exp(-0.5 * (d * s) ** 2)
