"""Bounded reward terms in [0, 1], in the style of dm_control's ``rewards.tolerance``."""
from __future__ import annotations

import numpy as np

SIGMOIDS = ("gaussian", "linear")


def tolerance(x, lower: float = -np.inf, upper: float = 0.0, margin: float = 1.0, value_at_margin: float = 0.1,
              sigmoid: str = "gaussian"):
    """1 inside ``[lower, upper]``; outside, a fall-off that equals ``value_at_margin`` at
    distance ``margin`` from the nearest bound (0 < value_at_margin < 1). ``margin=0`` gives a
    hard 0/1 indicator.

    ``sigmoid="gaussian"`` is flat at the bound (a point just outside scores almost 1);
    ``"linear"`` has the same slope everywhere until it reaches 0 at
    ``margin / (1 - value_at_margin)``, so "close" is visibly worse than "inside".

    >>> float(tolerance(0.5, upper=0.0, margin=1.0, sigmoid="linear"))
    0.55
    """
    if lower > upper:
        raise ValueError(f"lower ({lower}) must be <= upper ({upper})")
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    if sigmoid not in SIGMOIDS:
        raise ValueError(f"sigmoid must be one of {SIGMOIDS}, got {sigmoid!r}")
    x = np.asarray(x, dtype=np.float64)
    inside = (x >= lower) & (x <= upper)
    if margin == 0:
        return np.where(inside, 1.0, 0.0)
    d = np.where(x < lower, lower - x, x - upper) / margin
    if sigmoid == "linear":
        return np.where(inside, 1.0, np.clip(1.0 - d * (1.0 - value_at_margin), 0.0, 1.0))
    scale = np.sqrt(-2.0 * np.log(value_at_margin))
    return np.where(inside, 1.0, np.exp(-0.5 * (d * scale) ** 2))
