"""Grounding datasets as TRL ``GRPOTrainer`` rows, scored by :func:`.gaussian.trl_reward`.

A dataset recorded by ``rewardgym-record-grounding`` (schema: :mod:`rewardgym.envs.gui.dataset`)
has one screenshot (``image``), one ``instruction`` and the correct elements' boxes per row.
TRL's ``GRPOTrainer`` trains a vision-language model on rows with a conversational ``prompt``
and an ``image`` column, and passes every other column to the reward functions.
:func:`grpo_rows` makes those rows; the target column it keeps is the one the matching reward
reads (:func:`reward_for`).

Two coordinate frames (GUI-G^2's rewards are frame-free; the prompt and the targets must agree):

* ``frame="fraction"``: the prompt asks for fractions of the screenshot (0 to 1); the rows keep
  ``target_boxes`` (fractions), which :data:`.gaussian.trl_reward` reads by default.
* ``frame="pixel"``: the prompt asks for pixels of a ``W x H`` screenshot; the rows keep
  ``target_boxes_px`` and ``width``/``height`` (the frame of the box-size term), read by
  ``make_trl_reward(columns=("target_boxes_px",))``. With ``pixel_size=(W, H)`` the boxes are
  the fractions times that size: the frame of the image the model sees after its processor
  resized it (Qwen2.5-VL answers in the pixels of its resized input).

The other box column is dropped, so a reward that reads the wrong frame fails with a
``KeyError`` instead of scoring silently in the wrong units.

Example:
    >>> from rewardgym.envs.gui.dataset import load_split          # doctest: +SKIP
    >>> rows = grpo_rows(load_split("assets/gui/sample", "train"))  # doctest: +SKIP
    >>> rows[0]["prompt"][0]["content"].splitlines()[0]             # doctest: +SKIP
    'Click the "close" button.'
"""
from __future__ import annotations

import string
from typing import Any, Callable

from .gaussian import make_trl_reward

FRAMES = ("fraction", "pixel")
PROMPTS = {
    "fraction": ("{instruction}\nAnswer with the point to click as (x, y) or the element's box as [x1, y1, x2, y2], "
                 "in fractions of the screenshot's width and height (0 to 1, from the top-left corner)."),
    "pixel": ("{instruction}\nAnswer with the point to click as (x, y) or the element's box as [x1, y1, x2, y2], "
              "in pixels of the {width}x{height} screenshot (from the top-left corner)."),
}
TARGET_COLUMNS = {"fraction": "target_boxes", "pixel": "target_boxes_px"}
KEEP = ("task", "seed")   # kept for tracing a score back to its episode (the reward ignores them)


def _check_template(template: str) -> set[str]:
    fields = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
    if "instruction" not in fields:
        raise ValueError(f"prompt must contain {{instruction}}, got {template!r}")
    unknown = fields - {"instruction", "width", "height"}
    if unknown:
        raise ValueError(f"prompt may use {{instruction}}, {{width}} and {{height}} only; got {sorted(unknown)} "
                         f"in {template!r}")
    return fields


def grpo_rows(dataset, frame: str = "fraction", prompt: str | None = None, system: str | None = None,
              pixel_size: tuple[int, int] | None = None):
    """Maps a grounding dataset split to ``GRPOTrainer`` rows (a new ``datasets.Dataset``).

    Each row gets a conversational ``prompt`` (an optional system message, then the user's
    instruction and answer format as plain text: TRL puts the row's ``image`` before that text),
    keeps ``image`` untouched (not decoded), the target boxes of ``frame`` and ``task``/``seed``.

    Args:
        dataset: a ``datasets.Dataset`` with the recorder's columns (``image``, ``instruction``,
            ``target_boxes``; for ``frame="pixel"`` also ``target_boxes_px`` or
            ``viewport_width``/``viewport_height``), e.g. from ``load_split(path, "train")``.
        frame: ``"fraction"`` (column ``target_boxes``) or ``"pixel"`` (``target_boxes_px``,
            ``width``, ``height``).
        prompt: the user text, a ``str.format`` template with ``{instruction}`` and optionally
            ``{width}``/``{height}`` (the pixel frame's size); default :data:`PROMPTS` ``[frame]``.
        system: a system message put first, or None for none.
        pixel_size: ``(W, H)`` of the pixel frame, for ``frame="pixel"`` only: boxes become
            ``target_boxes * (W, H, W, H)``. None: the recorded ``target_boxes_px`` and viewport.

    Returns:
        The rows, columns ``prompt``, ``image``, the target column (:data:`TARGET_COLUMNS`),
        ``width``/``height`` (pixel frame only), and ``task``/``seed`` where the input has them.

    Raises:
        ValueError: an unknown ``frame``, a bad ``prompt`` template or ``pixel_size``, or a
            dataset lacking a needed column (the message names it and lists the columns).
    """
    if frame not in FRAMES:
        raise ValueError(f"frame must be one of {list(FRAMES)}, got {frame!r}")
    template = PROMPTS[frame] if prompt is None else prompt
    if not isinstance(template, str):
        raise ValueError(f"prompt must be a str.format template, got {template!r}")
    fields = _check_template(template)
    if pixel_size is not None:
        if frame != "pixel":
            raise ValueError(f"pixel_size is for frame='pixel' only; got frame={frame!r}, pixel_size={pixel_size!r}")
        if (not isinstance(pixel_size, (tuple, list)) or len(pixel_size) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in pixel_size)):
            raise ValueError(f"pixel_size must be two positive ints (W, H), got {pixel_size!r}")
    columns = list(dataset.column_names)
    need = ["image", "instruction", "target_boxes"]
    if frame == "pixel" or fields & {"width", "height"}:
        need += ["viewport_width", "viewport_height"]
        if pixel_size is None:
            need += ["target_boxes_px"]
    missing = [c for c in need if c not in columns]
    if missing:
        raise ValueError(f"grpo_rows(frame={frame!r}) needs the column(s) {missing}; the dataset has {columns} "
                         "(schema: rewardgym.envs.gui.dataset)")

    target = TARGET_COLUMNS[frame]
    inputs = [c for c in ("instruction", "target_boxes", "target_boxes_px", "viewport_width", "viewport_height")
              if c in columns]

    def row(*values: Any) -> dict[str, Any]:
        cell = dict(zip(inputs, values))
        out: dict[str, Any] = {}
        if frame == "pixel":
            if pixel_size is None:
                width, height = int(cell["viewport_width"]), int(cell["viewport_height"])
                out[target] = cell["target_boxes_px"]
            else:
                width, height = pixel_size
                out[target] = [[b[0] * width, b[1] * height, b[2] * width, b[3] * height]
                               for b in cell["target_boxes"]]
            out["width"], out["height"] = width, height
        else:
            width, height = cell.get("viewport_width"), cell.get("viewport_height")
            out[target] = cell["target_boxes"]
        text = template.format(instruction=cell["instruction"], width=width, height=height)
        messages = [{"role": "system", "content": system}] if system else []
        out["prompt"] = messages + [{"role": "user", "content": text}]
        return out

    drop = [c for c in columns if c not in ("image", *KEEP)]
    # in memory: no cache file is written beside the recorded dataset (which may be read-only, e.g. the bundled sample)
    return dataset.map(row, input_columns=inputs, remove_columns=drop, desc="grpo_rows", keep_in_memory=True)


def reward_for(frame: str = "fraction", **kwargs: Any) -> Callable[..., list[float]]:
    """The Gaussian grounding reward reading the target column of ``frame`` (see :func:`grpo_rows`).

    ``kwargs`` go to :func:`.gaussian.make_trl_reward` (``alpha``, ``w_point``, ``w_coverage``,
    ``w_size``). ``reward_for("fraction")`` scores like :data:`.gaussian.trl_reward`.
    """
    if frame not in FRAMES:
        raise ValueError(f"frame must be one of {list(FRAMES)}, got {frame!r}")
    if "columns" in kwargs:
        raise ValueError("reward_for sets columns from frame; call make_trl_reward(columns=...) to choose them")
    return make_trl_reward(columns=(TARGET_COLUMNS[frame],), **kwargs)
