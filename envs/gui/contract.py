"""One contract for GUI episodes: boxes, clicks and the instruction space.

Boxes are ``[x1, y1, x2, y2]`` as fractions of the screenshot's width and height (``[0, 1]``),
with positive size (``x2 > x1``, ``y2 > y1``). A ``"point"`` action is ``(x, y)`` in the same
frame; a ``"box"`` action is two corners in any order, clicked at its centre. A click hits a box
when it lies inside it, edges included.

Example:
    >>> click_point([0.2, 0.9, 0.6, 0.1], "box")
    (0.4, 0.5)
    >>> click_in_box((0.4, 0.5), [[0.3, 0.4, 0.5, 0.6]])
    True
    >>> to_pixels([[0.5, 0.25, 1.0, 0.5]], (160, 210)).tolist()
    [[80.0, 52.5, 160.0, 105.0]]
"""
from __future__ import annotations

import numpy as np
from gymnasium import spaces

ACTION_TYPES = ("point", "box")
ACTION_SHAPES = {"point": (2,), "box": (4,)}
# The instruction's characters: printable ASCII, Latin-1's printable letters and signs, and the
# typographic quotes, dashes and ellipsis that page text uses. A Text space needs a finite charset.
INSTRUCTION_CHARSET = ([chr(c) for c in range(32, 127)] + [chr(c) for c in range(0xA1, 0x100)]
                       + list("\u2010\u2011\u2012\u2013\u2014\u2018\u2019\u201c\u201d\u2026\u00a0"))
INSTRUCTION_MAX_LENGTH = 512


def instruction_space(max_length: int = INSTRUCTION_MAX_LENGTH) -> spaces.Text:
    """The ``Text`` space of an instruction (see :data:`INSTRUCTION_CHARSET`)."""
    return spaces.Text(max_length=max_length, charset=INSTRUCTION_CHARSET)


def action_space(action_type: str) -> spaces.Box:
    """``Box(0, 1, (2,))`` for ``"point"``, ``Box(0, 1, (4,))`` for ``"box"``."""
    if action_type not in ACTION_TYPES:
        raise ValueError(f"action_type must be one of {ACTION_TYPES}, got {action_type!r}")
    return spaces.Box(0.0, 1.0, ACTION_SHAPES[action_type], np.float32)


def click_point(action, action_type: str) -> tuple[float, float]:
    """The click of a point or box action (a box's corners in any order: its centre).

    Raises:
        ValueError: wrong shape, or values not finite or outside [0, 1] (naming the action).
    """
    if action_type not in ACTION_TYPES:
        raise ValueError(f"action_type must be one of {ACTION_TYPES}, got {action_type!r}")
    a = np.asarray(action, dtype=np.float64)
    if a.shape != ACTION_SHAPES[action_type]:
        raise ValueError(f"{action_type} action must have shape {ACTION_SHAPES[action_type]}, got {action!r}")
    if not np.all(np.isfinite(a)) or np.any(a < 0) or np.any(a > 1):
        raise ValueError(f"action values must be finite and in [0, 1], got {action!r}")
    if action_type == "box":
        return float((a[0] + a[2]) / 2), float((a[1] + a[3]) / 2)
    return float(a[0]), float(a[1])


def check_boxes(boxes, name: str = "target_boxes") -> np.ndarray:
    """``boxes`` as a (K, 4) float32 array, each finite, inside [0, 1] and of positive size.

    Raises:
        ValueError: naming ``name``, the row and the box.
    """
    b = np.asarray(boxes, dtype=np.float64)
    if b.size == 0:
        return np.zeros((0, 4), np.float32)
    if b.ndim == 1:
        b = b[None]
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"{name} must be boxes [x1, y1, x2, y2], got shape {b.shape}")
    for i, box in enumerate(b):
        if not np.all(np.isfinite(box)) or np.any(box < 0) or np.any(box > 1):
            raise ValueError(f"{name}[{i}] = {box.tolist()} is not inside [0, 1] (boxes are fractions of the "
                             "screenshot)")
        if box[2] <= box[0] or box[3] <= box[1]:
            raise ValueError(f"{name}[{i}] = {box.tolist()} is inverted or empty (needs x2 > x1 and y2 > y1)")
    return b.astype(np.float32)


def visible_boxes(raw) -> np.ndarray:
    """Boxes measured on a page (fractions of the viewport, possibly beyond it), cut to the
    viewport; a box with no area left on screen is dropped. Returns (K, 4) float32."""
    b = np.clip(np.asarray(raw, dtype=np.float64).reshape(-1, 4), 0.0, 1.0)
    keep = (b[:, 2] > b[:, 0]) & (b[:, 3] > b[:, 1])
    return b[keep].astype(np.float32)


def click_in_box(point, boxes) -> bool:
    """Whether the point ``(x, y)`` lies in any of the (K, 4) ``boxes``, edges included."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    x, y = float(point[0]), float(point[1])
    return bool(np.any((b[:, 0] <= x) & (x <= b[:, 2]) & (b[:, 1] <= y) & (y <= b[:, 3])))


def to_pixels(boxes, viewport: tuple[int, int]) -> np.ndarray:
    """Fraction boxes as pixel boxes of a ``viewport = (width, height)`` screenshot."""
    w, h = viewport
    return np.asarray(boxes, dtype=np.float64).reshape(-1, 4) * np.array([w, h, w, h], dtype=np.float64)
