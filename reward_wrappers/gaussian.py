"""GUI-G^2 Gaussian grounding rewards (numpy only) and the wrapper for browser envs.

Boxes are ``(x1, y1, x2, y2)`` with ``x2 > x1`` and ``y2 > y1``, points ``(x, y)``, all in one
frame: pixels, or fractions of the screenshot ([0, 1], what rewardgym's browser envs use).

* :func:`point_reward` (GUI-G^2): the element is a 2D Gaussian centred on its box with
  ``sigma = alpha * (width, height)``; ``R = exp(-((dx/sx)^2 + (dy/sy)^2) / 2)``: 1 at the centre,
  ``e^-0.5`` on the box edge along an axis (alpha = 0.5).
* :func:`coverage_reward` (GUI-G^2's reference code): predicted and target boxes both as
  diagonal Gaussians (``sigma = alpha * size``); ``R = exp(-D_B)`` with ``D_B`` the
  Bhattacharyya distance between them: 1 for identical boxes.
* :func:`box_size_reward` (GUI-G1's constraint): ``0.125 * harmonic mean over x1, y1, x2, y2 of
  (1 - |error| / image size)``, each term floored at 0: 0.125 for an exact box.
* :func:`grounding_reward`: weighted sum (default point + coverage, 1:1; box size weight 0).
"""
from __future__ import annotations

import re
from typing import Any, Sequence

import numpy as np

from .base import RewardWrapper


def _as_boxes(boxes, name: str = "boxes") -> np.ndarray:
    b = np.asarray(boxes, dtype=np.float64)
    if b.ndim == 1:
        b = b[None]
    if b.shape[-1] != 4:
        raise ValueError(f"{name} must have shape (..., 4) as (x1, y1, x2, y2), got {b.shape}")
    if not np.all(np.isfinite(b)):
        raise ValueError(f"{name} must be finite, got {boxes!r}")
    bad = (b[..., 2] <= b[..., 0]) | (b[..., 3] <= b[..., 1])
    if np.any(bad):
        raise ValueError(f"{name} must have x2 > x1 and y2 > y1 (positive size), got {b[bad][0].tolist()}")
    return b


def _as_points(points) -> np.ndarray:
    p = np.asarray(points, dtype=np.float64)
    if p.ndim == 1:
        p = p[None]
    if p.shape[-1] != 2 or not np.all(np.isfinite(p)):
        raise ValueError(f"points must be finite with shape (..., 2), got {points!r}")
    return p


def _check_alpha(alpha: float) -> None:
    if not alpha > 0:
        raise ValueError(f"alpha must be > 0, got {alpha}")


def _centre_sigma(b: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    return (b[..., :2] + b[..., 2:]) / 2.0, alpha * (b[..., 2:] - b[..., :2])


def point_reward(points, boxes, alpha: float = 0.5) -> np.ndarray:
    """Gaussian point reward of ``points`` (N,2) against ``boxes`` (N,4) (broadcast)."""
    _check_alpha(alpha)
    mu, sigma = _centre_sigma(_as_boxes(boxes), alpha)
    z = (_as_points(points) - mu) / sigma
    return np.exp(-0.5 * np.sum(z**2, axis=-1))


def coverage_reward(pred_boxes, boxes, alpha: float = 0.5) -> np.ndarray:
    """``exp(-Bhattacharyya distance)`` of the two boxes' diagonal Gaussians."""
    _check_alpha(alpha)
    mu1, s1 = _centre_sigma(_as_boxes(pred_boxes, "pred_boxes"), alpha)
    mu2, s2 = _centre_sigma(_as_boxes(boxes), alpha)
    var1, var2 = s1**2, s2**2
    var = (var1 + var2) / 2.0
    mahal = np.sum((mu1 - mu2) ** 2 / var, axis=-1) / 8.0
    logdet = 0.5 * np.sum(np.log(var) - 0.5 * (np.log(var1) + np.log(var2)), axis=-1)
    return np.exp(-(mahal + logdet))


def box_size_reward(pred_boxes, boxes, width: float = 1.0, height: float = 1.0) -> np.ndarray:
    """GUI-G1's box-size constraint: 0.125 x harmonic mean of ``1 - |corner error| / size``."""
    if width <= 0 or height <= 0:
        raise ValueError(f"width and height must be > 0, got {width}, {height}")
    p, b = _as_boxes(pred_boxes, "pred_boxes"), _as_boxes(boxes)
    scale = np.array([width, height, width, height])
    terms = np.clip(1.0 - np.abs(p - b) / scale, 0.0, 1.0)
    with np.errstate(divide="ignore"):
        hmean = np.where(np.all(terms > 0, axis=-1), 4.0 / np.sum(1.0 / np.maximum(terms, 1e-300), axis=-1), 0.0)
    return 0.125 * hmean


def grounding_reward(pred, boxes, alpha: float = 0.5, w_point: float = 1.0, w_coverage: float = 1.0,
                     w_size: float = 0.0, width: float = 1.0, height: float = 1.0) -> np.ndarray:
    """Reward of predictions against target boxes; the best of K targets per prediction.

    Args:
        pred: points (N,2) or boxes (N,4). A box is scored with the point reward of its
            centre plus coverage (and box size); a point with the point reward alone.
        boxes: targets (N,4) or (N,K,4): several correct elements per prediction allowed.
    """
    pred = np.asarray(pred, dtype=np.float64)
    pred = pred[None] if pred.ndim == 1 else pred
    if pred.ndim != 2:
        raise ValueError(f"pred must be points (N,2) or boxes (N,4), got {pred!r}")
    tgt = _as_boxes(boxes)
    tgt = tgt[:, None] if tgt.ndim == 2 else tgt  # (N, K, 4)
    if tgt.shape[0] != pred.shape[0] and tgt.shape[0] != 1:
        raise ValueError(f"{pred.shape[0]} predictions but {tgt.shape[0]} target sets")
    if pred.shape[-1] == 2:
        r = w_point * point_reward(pred[:, None], tgt, alpha)
    elif pred.shape[-1] == 4:
        pb = _as_boxes(pred, "pred")[:, None]
        centre = (pb[..., :2] + pb[..., 2:]) / 2.0
        r = w_point * point_reward(centre, tgt, alpha) + w_coverage * coverage_reward(pb, tgt, alpha)
        if w_size:
            r = r + w_size * box_size_reward(pb, tgt, width, height)
    else:
        raise ValueError(f"pred must be points (N,2) or boxes (N,4), got shape {pred.shape}")
    return r.max(axis=-1)


_NUM = r"[-+]?\d*\.?\d+(?:[eE][-+]?\d+)?"
_BOX_RE = re.compile(rf"\[\s*({_NUM})\s*,\s*({_NUM})\s*,\s*({_NUM})\s*,\s*({_NUM})\s*\]")
_POINT_RE = re.compile(rf"\(\s*({_NUM})\s*,\s*({_NUM})\s*\)")


def parse_prediction(text: str) -> np.ndarray | None:
    """The last ``[x1, y1, x2, y2]`` box, else the last ``(x, y)`` point in ``text``; None if neither."""
    boxes = _BOX_RE.findall(text)
    if boxes:
        return np.array(boxes[-1], dtype=np.float64)
    points = _POINT_RE.findall(text)
    return np.array(points[-1], dtype=np.float64) if points else None


def _target_boxes(target: Any, name: str = "solution") -> np.ndarray:
    """A dataset cell -> (K,4) boxes: a box, a list of boxes, or their text ("[x1, y1, x2, y2]").

    Raises ``ValueError`` naming the cell (``name``) for a box that is not finite or has no
    positive size (x2 <= x1 or y2 <= y1): a bad target is the dataset's error, never a 0 score.
    """
    if isinstance(target, str):
        found = _BOX_RE.findall(target)
        if not found:
            raise ValueError(f"no [x1, y1, x2, y2] box in the {name} {target!r}")
        return _as_boxes(np.array(found, dtype=np.float64).tolist(), name)
    try:
        boxes = np.asarray(target, dtype=np.float64).reshape(-1, 4)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a box [x1, y1, x2, y2] or a list of boxes, got {target!r}") from None
    return _as_boxes(boxes.tolist(), name)  # a list: the message shows the numbers alone


def completion_text(completion: Any) -> str:
    """Text of a TRL completion: a plain string, or chat messages (the last message's content)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, (list, tuple)) and completion and isinstance(completion[-1], dict):
        content = completion[-1].get("content", "")
        if isinstance(content, list):  # multimodal chat parts: keep the text parts
            return " ".join(part.get("text", "") for part in content if isinstance(part, dict))
        return str(content)
    return str(completion)


def make_trl_reward(alpha: float = 0.5, w_point: float = 1.0, w_coverage: float = 1.0, w_size: float = 0.0,
                    columns: Sequence[str] = ("solution", "bbox", "target_boxes")):
    """Builds a reward function with the signature TRL's ``GRPOTrainer`` expects.

    TRL calls ``reward(prompts=..., completions=..., **dataset_columns)``. The function reads
    the target from the first of ``columns`` present (each cell a box ``[x1, y1, x2, y2]``, a
    list of boxes (the best is scored), or the text of a box; ``target_boxes`` is the column of
    rewardgym's recorded grounding datasets, see :mod:`.trl_grounding`), and the optional columns
    ``width``/``height`` (the frame of the box-size term). Completions are strings or chat
    messages. It returns one float per completion; unparsable text or a degenerate predicted
    box scores 0 (the model's error), while a target box that is not finite or has no positive
    size, or a bad ``width``/``height``, raises ``ValueError`` naming the cell (the dataset's).

    Example:
        >>> reward = make_trl_reward()
        >>> reward(["click (0.5, 0.5)", "no idea"], solution=[[0.4, 0.4, 0.6, 0.6]] * 2)
        [1.0, 0.0]
    """
    columns = tuple(columns)
    if not columns:
        raise ValueError("columns must name at least one dataset column holding the target boxes")

    def reward(completions: Sequence[Any], **kwargs: Any) -> list[float]:
        column = next((c for c in columns if c in kwargs), None)
        if column is None:
            raise KeyError(f"the dataset has none of the target columns {list(columns)}; got {sorted(kwargs)}")
        targets, scores = kwargs[column], []
        if len(targets) != len(completions):
            raise ValueError(f"{len(completions)} completions but {len(targets)} {column!r} entries")
        for i, (completion, target) in enumerate(zip(completions, targets)):
            # bad targets are the dataset's fault: raise, naming them (checked before the completion)
            boxes = _target_boxes(target, f"{column}[{i}]")[None]
            width = float(kwargs["width"][i]) if "width" in kwargs else 1.0
            height = float(kwargs["height"][i]) if "height" in kwargs else 1.0
            if not (np.isfinite(width) and np.isfinite(height) and width > 0 and height > 0):
                raise ValueError(f"width[{i}] and height[{i}] must be finite and > 0, got {width}, {height}")
            pred = parse_prediction(completion_text(completion))
            if pred is None:  # the model's error: it scores 0
                scores.append(0.0)
                continue
            try:
                r = grounding_reward(pred, boxes, alpha, w_point, w_coverage, w_size, width, height)
                scores.append(float(r[0]))
            except ValueError:  # a degenerate predicted box
                scores.append(0.0)
        return scores

    reward.__name__ = "gaussian_grounding_reward"
    return reward


trl_reward = make_trl_reward()


class GaussianGroundingReward(RewardWrapper):
    """Scores each click (point action) or box action against ``info["target_boxes"]``.

    Under the browser's ``action_type="gui"`` the env reports the action it ran in
    ``info["action"]`` (a ``GuiAction``): a click or double click is scored as its point; an
    action that points at nothing (type, key, scroll, drag, no-op) gets no grounding term (0).

    The target boxes used for step t are those the env reported with the observation the
    action was chosen on (from ``reset`` or step t-1). The env's own success still ends the
    episode; its reward is kept in ``info["env_reward"]``.

    Reward: ``grounding + success_bonus * success + env_weight * env_reward``; ``env_weight=1``
    trains on the env's sparse reward with the Gaussian term as dense shaping.

    Example:
        >>> env = GaussianGroundingReward(gym.make("rewardgym/Browser-v0"))  # doctest: +SKIP
    """

    def __init__(self, env, alpha: float = 0.5, w_point: float = 1.0, w_coverage: float = 1.0,
                 w_size: float = 0.0, success_bonus: float = 0.0, env_weight: float = 0.0):
        _check_alpha(alpha)
        for name, w in (("w_point", w_point), ("w_coverage", w_coverage), ("w_size", w_size)):
            if w < 0:
                raise ValueError(f"{name} must be >= 0, got {w}")
        if not np.isfinite(env_weight):
            raise ValueError(f"env_weight must be finite, got {env_weight}")
        super().__init__(env, alpha=alpha, w_point=w_point, w_coverage=w_coverage, w_size=w_size,
                         success_bonus=success_bonus, env_weight=env_weight)
        self.alpha, self.w_point, self.w_coverage, self.w_size = alpha, w_point, w_coverage, w_size
        self.success_bonus, self.env_weight = success_bonus, float(env_weight)
        self._targets: np.ndarray | None = None
        self._action = None

    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        self._targets = self._boxes_of(info)
        return obs, info

    @staticmethod
    def _boxes_of(info: dict) -> np.ndarray:
        if "target_boxes" not in info:
            raise KeyError("GaussianGroundingReward needs info['target_boxes'] from the env (a GUI env)")
        return np.asarray(info["target_boxes"], dtype=np.float64).reshape(-1, 4)

    def step(self, action):
        self._action = action  # a string or GuiAction under action_type="gui": read from info["action"]
        return super().step(action)

    def reward(self, obs, env_reward, terminated, truncated, info):
        targets = self._targets
        self._targets = self._boxes_of(info) if "target_boxes" in info else targets
        pointing = self._pointing(info)
        r = 0.0 if pointing is None else self.score(pointing, targets)
        bonus = self.success_bonus if info.get("success") else 0.0
        return r + bonus + self.env_weight * env_reward, {"gaussian": r}

    def _pointing(self, info: dict):
        """The point or box this step pointed at; None for a GUI action that points at nothing."""
        act = info.get("action")
        if act is None or not hasattr(act, "kind"):
            return np.asarray(self._action, dtype=np.float64)
        return np.array([act.x, act.y]) if act.kind in ("click", "dblclick") else None

    def score(self, action: np.ndarray, targets: np.ndarray) -> float:
        """Best grounding reward of one action over the (K,4) targets; 0 when K = 0.

        A box action's corners may come in either order (as the browser env takes them: every
        action its space samples is a box); the box they span is scored. A box of zero width or
        height has no Gaussian: it is scored as its centre point (point term only, coverage and
        size 0).
        """
        if len(targets) == 0:
            return 0.0
        action = np.asarray(action, dtype=np.float64).reshape(-1)
        if action.shape[0] == 4:
            action = np.concatenate([np.minimum(action[:2], action[2:]), np.maximum(action[:2], action[2:])])
        if action.shape[0] == 4 and (action[2] <= action[0] or action[3] <= action[1]):
            centre = (action[:2] + action[2:]) / 2.0
            return float(self.w_point * point_reward(centre[None, None], targets[None], self.alpha).max())
        return float(grounding_reward(action, targets[None], self.alpha, self.w_point, self.w_coverage,
                                      self.w_size)[0])
