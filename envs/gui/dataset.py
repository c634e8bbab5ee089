"""The grounding dataset: one row per one-click episode, a Hugging Face ``datasets`` dataset on disk.

Written by ``rewardgym-record-grounding`` (:mod:`rewardgym.envs.browser.record`), read by
``rewardgym/Grounding-v0`` and by TRL through ``trl_reward``. Columns (boxes follow
:mod:`.contract`: ``[x1, y1, x2, y2]``, fractions of the screenshot; ``_px``: the same in pixels):

===================  ===========================  ===============================================
column               type                         meaning
===================  ===========================  ===============================================
image                Image (PNG)                  the episode's first screenshot
instruction          string                       what to click, as the env gave it
target_boxes         list of [4 x float32]        every correct element (K >= 1), fractions
target_boxes_px      list of [4 x float32]        the same boxes in pixels of the screenshot
target_roles         list of string               each target's accessible role ("" if unknown)
target_names         list of string               each target's accessible name ("" if unknown)
task                 string                       the Browser-v0 task (``click-button``, ``miniwob/...``,
                                                  ``grounding:<page>``, ``folder:<dir>``)
source               string                       ``own``, ``miniwob``, ``grounding`` or ``folder``
seed                 int64                        ``reset(seed=...)`` of the live env: replays the episode
viewport_width       int32                        screenshot width in pixels
viewport_height      int32                        screenshot height in pixels
blocked_requests     int32                        requests the sandbox refused while recording it
===================  ===========================  ===============================================

Splits: ``train`` (the training tasks' training seeds), ``test`` (the same tasks, held-out seeds),
and, when tasks are held out, ``test_tasks`` (those tasks, held-out seeds).
ScreenSpot, for comparison, stores one target per row as ``bbox`` ``[x, y, w, h]`` in pixels (v1/v2;
ScreenSpot-Pro: ``[x1, y1, x2, y2]`` pixels with ``img_size``), with ``instruction``,
``data_type`` (text/icon) and ``data_source`` (platform); see docs/gui_learning.md.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .contract import check_boxes

COLUMNS = ("image", "instruction", "target_boxes", "target_boxes_px", "target_roles", "target_names", "task",
           "source", "seed", "viewport_width", "viewport_height", "blocked_requests")
REQUIRED = ("image", "instruction", "target_boxes")
MANIFEST = "rewardgym_grounding.json"   # written last by the recorder: its presence marks a complete dataset


def features():
    """The ``datasets.Features`` of a recorded dataset."""
    from datasets import Features, Image, List, Value

    box = List(Value("float32"), length=4)
    return Features({"image": Image(), "instruction": Value("string"), "target_boxes": List(box),
                     "target_boxes_px": List(box), "target_roles": List(Value("string")),
                     "target_names": List(Value("string")), "task": Value("string"), "source": Value("string"),
                     "seed": Value("int64"), "viewport_width": Value("int32"), "viewport_height": Value("int32"),
                     "blocked_requests": Value("int32")})


def _need_datasets():
    try:
        import datasets  # noqa: F401
    except ImportError as err:
        raise ImportError("grounding datasets need the `datasets` package: pip install 'rewardgym[gui]'") from err


def dataset_dir(path: str | Path) -> Path:
    """The ``datasets`` folder of ``path``: a recorder output (its ``dataset/``) or a saved dataset.

    Raises:
        FileNotFoundError: nothing there, or a recording that has not finished (no manifest).
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"grounding dataset {str(path)!r} does not exist (make one with "
                                "rewardgym-record-grounding)")
    if (p / "shards").is_dir() or (p / MANIFEST).exists():  # a recorder output folder
        if not (p / MANIFEST).exists() or not (p / "dataset").is_dir():
            raise FileNotFoundError(f"grounding dataset {str(path)!r} is an unfinished recording (no {MANIFEST}): "
                                    "rerun the same rewardgym-record-grounding command to finish it")
        return p / "dataset"
    return p


def manifest(path: str | Path) -> dict | None:
    """The recorder's manifest of ``path`` (what was asked and counted), or None for another dataset."""
    f = Path(path) / MANIFEST
    return json.loads(f.read_text()) if f.exists() else None


def load_split(path: str | Path, split: str = "train"):
    """One split of a grounding dataset, checked: the columns, the boxes, not empty.

    ``path`` is a recorder output folder, a ``DatasetDict`` or a ``Dataset`` saved with
    ``save_to_disk`` (a ``Dataset`` has no splits: ``split`` must then be ``"train"`` or ``None``).

    Raises:
        FileNotFoundError, ValueError: naming the path, the split, the column or the row.
    """
    _need_datasets()
    from datasets import Dataset, DatasetDict, load_from_disk

    folder = dataset_dir(path)
    state = folder / (split or "train") / "state.json"
    if (folder / "dataset_dict.json").exists() and state.exists() and not json.loads(state.read_text()).get("_data_files"):
        raise ValueError(f"grounding dataset {str(path)!r} split {split!r} is empty")  # datasets cannot load it
    try:
        data = load_from_disk(str(folder))
    except FileNotFoundError as err:
        raise FileNotFoundError(f"{str(path)!r} is not a saved Hugging Face dataset ({err})") from None
    if isinstance(data, DatasetDict):
        if split not in data:
            raise ValueError(f"grounding dataset {str(path)!r} has no split {split!r}; splits: {sorted(data)}")
        ds = data[split]
    elif isinstance(data, Dataset) and split in (None, "train"):
        ds = data
    else:
        raise ValueError(f"grounding dataset {str(path)!r} is a single Dataset with no splits; got split={split!r}")
    missing = [c for c in REQUIRED if c not in ds.column_names]
    if missing:
        raise ValueError(f"grounding dataset {str(path)!r} split {split!r} lacks the column(s) {missing}; "
                         f"it has {ds.column_names} (schema: rewardgym.envs.gui.dataset)")
    if len(ds) == 0:
        raise ValueError(f"grounding dataset {str(path)!r} split {split!r} is empty")
    return ds


def target_boxes(ds, name: str = "target_boxes") -> list[np.ndarray]:
    """Every row's (K, 4) boxes, checked (:func:`.contract.check_boxes`; K >= 1)."""
    out = []
    for i, boxes in enumerate(ds[name]):
        b = check_boxes(boxes if boxes is not None else [], f"{name} of row {i}")
        if len(b) == 0:
            raise ValueError(f"row {i} of the grounding dataset has no {name}")
        out.append(b)
    return out


def decode_images(ds) -> np.ndarray:
    """Every row's screenshot, decoded once: (N, H, W, 3) uint8; all rows must share one size."""
    import io

    from PIL import Image as PILImage

    raw = ds.with_format("arrow")["image"].to_pylist()  # the stored PNGs, undecoded, with no cache file written
    first = None
    frames = None
    for i, cell in enumerate(raw):
        data = cell["bytes"] if cell.get("bytes") is not None else Path(cell["path"]).read_bytes()
        img = np.asarray(PILImage.open(io.BytesIO(data)).convert("RGB"))
        if first is None:
            first = img.shape
            frames = np.empty((len(raw), *first), dtype=np.uint8)
        elif img.shape != first:
            raise ValueError(f"row {i}'s image is {img.shape[1]}x{img.shape[0]}, row 0's {first[1]}x{first[0]}: a "
                             "grounding env needs one screenshot size (record one viewport per dataset)")
        frames[i] = img
    return frames
