"""``rewardgym/Grounding-v0``: one-step grounding episodes replayed from a recorded dataset, no browser.

## Description
A one-click GUI episode is fully described by its first screenshot, its instruction and its
target boxes, so it can be recorded once from a live page (``rewardgym-record-grounding``) and
served again at memory speed. Each episode shows one row of a grounding dataset
(:mod:`.dataset`); the agent clicks a point, or points at a box (clicked at its centre). The
observation, action and info contract is ``rewardgym/Browser-v0``'s for one-click episodes, so
the same reward wrappers, policies and evaluation run on both.

## Action Space
``action_type="point"``: ``Box(0, 1, (2,))``, ``(x, y)`` as fractions of the screenshot;
``"box"``: ``Box(0, 1, (4,))``, two corners in any order, clicked at the box's centre. Values
outside [0, 1] or NaN raise ``ValueError`` naming the value (as Browser-v0).

## Observation Space
``obs_type="default"``: ``Dict(screenshot=Box(0, 255, (H, W, 3), uint8), instruction=Text)``;
``"pixels"``: the screenshot alone. ``H, W`` are the dataset's (one viewport per dataset).

## Rewards and Episode End
1 when the click lies in a target box (edges included), else 0: the binary hit of Browser-v0's
``task="grounding"`` episodes. Every episode ends after its one step (``terminated``). On the
live page of an own task a click on another element scores -1 and on MiniWoB++ the page's own
check decides; success on held-out seeds is therefore also measured live (docs/gui_learning.md).

## Starting State
``reset()`` draws a row uniformly from the split with the env's generator;
``reset(options={"index": i})`` shows row ``i`` (evaluation passes over a split in order).

## Info
``success``; ``target_boxes`` (K, 4) float32 fractions and ``target_elements`` (``[{"role",
"name"}]`` per box, as recorded), from ``reset`` (as Browser-v0, both are absent from the info of
the step that ends the episode); ``instruction``; ``task``, ``seed`` (the live episode it replays:
``gym.make("rewardgym/Browser-v0", task=...).reset(seed=...)``) and ``index`` (the row); after a
step, ``click`` ``{x, y}``.

## Copies
``pickle`` and ``copy.deepcopy`` carry the constructor arguments, the spec, the random generator
and the row shown: the copy continues exactly as the original (the dataset is read again, once
per process and split).

## Arguments
| name | default | meaning |
|---|---|---|
| dataset | None | a ``rewardgym-record-grounding`` output folder, or a saved ``datasets`` dataset; ``None``: the bundled sample (``assets/gui/sample``: rewardgym's own click tasks and two MiniWoB++ tasks, 12 training and 6 held-out seeds each; MiniWoB++ click-tab held out) |
| split | "train" | the split to serve (``train``, ``test``, ``test_tasks``) |
| action_type | "point" | "point" or "box" |
| obs_type | "default" | "default" or "pixels" |
| tasks | None | serve only the rows of these tasks (a list of task names) |
| render_mode | None | "rgb_array": ``render()`` returns the screenshot |

## Version History
* v0: initial release.
"""
from __future__ import annotations

from typing import Any, Sequence

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.utils import EzPickle

from . import contract
from .dataset import decode_images, load_split, target_boxes

_CACHE: dict[tuple, tuple] = {}


def sample_dataset() -> str:
    """Path of the bundled sample dataset (made by the command in ``assets/gui/README.md``)."""
    from importlib import resources

    return str(resources.files("rewardgym.assets") / "gui" / "sample")   # (path, split, tasks) -> the decoded split, shared by the envs of a process


def _load(dataset: str, split: str, tasks: tuple[str, ...] | None):
    key = (str(dataset), split, tasks)
    if key not in _CACHE:
        ds = load_split(dataset, split)
        if tasks is not None:
            if "task" not in ds.column_names:
                raise ValueError(f"tasks={list(tasks)} needs a 'task' column; dataset {dataset!r} has none")
            have = set(ds.unique("task"))
            unknown = [t for t in tasks if t not in have]
            if unknown:
                raise ValueError(f"tasks {unknown} are not in split {split!r} of {dataset!r}; it has {sorted(have)}")
            wanted = set(tasks)
            rows = [i for i, t in enumerate(ds["task"]) if t in wanted]
            ds = ds.select(rows, keep_in_memory=True)  # writes no cache file beside the dataset
        boxes = target_boxes(ds)
        frames = decode_images(ds)
        n = len(ds)
        text = list(ds["instruction"])
        meta = {c: (list(ds[c]) if c in ds.column_names else [None] * n) for c in ("task", "seed", "target_roles",
                                                                            "target_names")}
        _CACHE[key] = (frames, text, boxes, meta)
    return _CACHE[key]


class GroundingEnv(gym.Env, EzPickle):
    __doc__ = __doc__
    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}

    def __init__(self, dataset: str | None = None, split: str = "train", action_type: str = "point", obs_type: str = "default",
                 tasks: Sequence[str] | None = None, render_mode: str | None = None):
        EzPickle.__init__(self, dataset=dataset, split=split, action_type=action_type, obs_type=obs_type,
                          tasks=tasks, render_mode=render_mode)
        self.action_space = contract.action_space(action_type)
        if obs_type not in ("default", "pixels"):
            raise ValueError(f"obs_type must be 'default' or 'pixels', got {obs_type!r}")
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        if isinstance(tasks, str):
            tasks = [tasks]
        if dataset is None:
            dataset = sample_dataset()
        self.dataset, self.split, self.action_type, self.obs_type = str(dataset), split, action_type, obs_type
        self.render_mode = render_mode
        self.tasks = None if tasks is None else tuple(str(t) for t in tasks)
        self._frames, self._text, self._boxes, self._meta = _load(self.dataset, split, self.tasks)
        too_long = next((i for i, t in enumerate(self._text) if len(t) > contract.INSTRUCTION_MAX_LENGTH), None)
        if too_long is not None:
            raise ValueError(f"row {too_long}'s instruction is longer than {contract.INSTRUCTION_MAX_LENGTH} characters")
        shot = spaces.Box(0, 255, self._frames.shape[1:], np.uint8)
        self.observation_space = shot if obs_type == "pixels" else spaces.Dict(
            {"screenshot": shot, "instruction": contract.instruction_space()})
        self._index = None

    # --- copies: the constructor arguments (EzPickle), the spec, the RNG and the row shown
    def __getstate__(self) -> dict:
        return dict(EzPickle.__getstate__(self), spec=self.spec, np_random=self._np_random,
                    np_random_seed=self._np_random_seed, index=self._index)

    def __setstate__(self, state: dict) -> None:
        state = dict(state)
        extra = {k: state.pop(k, None) for k in ("spec", "np_random", "np_random_seed", "index")}
        EzPickle.__setstate__(self, state)
        self.spec, self._np_random, self._np_random_seed = extra["spec"], extra["np_random"], extra["np_random_seed"]
        self._index = extra["index"]

    def __len__(self) -> int:
        return len(self._frames)

    @property
    def task_names(self) -> list[str]:
        """The tasks this env serves (from the ``task`` column), sorted."""
        return sorted({t for t in self._meta["task"] if t is not None})

    def _obs(self):
        frame = self._frames[self._index].copy()  # the caller may keep or change it
        if self.obs_type == "pixels":
            return frame
        return {"screenshot": frame, "instruction": self._text[self._index]}

    def _info(self) -> dict[str, Any]:
        i = self._index
        roles, names = self._meta["target_roles"][i] or [], self._meta["target_names"][i] or []
        elements = [{"role": r, "name": n} for r, n in zip(roles, names)]
        return {"target_boxes": self._boxes[i].copy(), "instruction": self._text[i], "target_elements": elements,
                "task": self._meta["task"][i], "seed": self._meta["seed"][i], "index": i}

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        index = (options or {}).get("index")
        if index is None:
            index = int(self.np_random.integers(len(self._frames)))
        elif isinstance(index, bool) or int(index) != index or not 0 <= index < len(self._frames):
            raise ValueError(f"options['index'] must be an integer in [0, {len(self._frames)}), got {index!r}")
        self._index = int(index)
        info = self._info()
        info["success"] = False
        return self._obs(), info

    def step(self, action):
        if self._index is None:
            raise RuntimeError("call reset() before step()")
        x, y = contract.click_point(action, self.action_type)
        info = self._info()
        hit = contract.click_in_box((x, y), info.pop("target_boxes"))
        del info["target_elements"]  # the episode ended: nothing left to point at (as Browser-v0)
        info.update(success=hit, click={"x": x, "y": y})
        return self._obs(), float(hit), True, False, info

    def render(self):
        if self.render_mode == "rgb_array" and self._index is not None:
            return self._frames[self._index].copy()
        return None
