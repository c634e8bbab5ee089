"""MiniWoB++ catalogue: every task page of the installed ``miniwob`` package, as task snippets.

The task list is read from the package's HTML folder (``miniwob/html/miniwob/*.html``), not
kept by hand. Each task runs its own ``genProblem`` under a seeded ``Math.random``; reward and
end come from ``core.js``: ``WOB_RAW_REWARD_GLOBAL`` (the raw reward, without the wall-clock
discount) and ``WOB_DONE_GLOBAL``.

**Success** means the task was actually done: ``raw reward >= threshold``. The threshold is 1
(full credit) for tasks whose raw reward is partial credit, and ``> 0`` for tasks that pay +1
or -1 only; :data:`SUCCESS_THRESHOLDS` lists the exceptions with the reason (the reward quirks).

**Target boxes and plans** come from ``assets/browser/miniwob_core.js`` (generic resolvers:
text of the instruction's quoted field or field list matched against the page's elements) and
:data:`PLAN_FILES` (tasks that need their own reading of the page). A task's *plan* is its
next step (``{kind, els, text, key, to}``); its ``els`` are the target boxes. Tasks without a
plan are playable, with no target boxes.
"""
from __future__ import annotations

import difflib
import json
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

# raw reward >= threshold counts as success; default: raw > 0 (tasks paying +1 / -1).
# name -> (threshold, why)
SUCCESS_THRESHOLDS: dict[str, tuple[float, str]] = {
    "find-greatest": (1.0, "pays +0.1 for a wrong card (1.0 for the greatest)"),
    "ascending-numbers": (1.0, "pays the fraction of numbers clicked in order"),
    "click-checkboxes": (1.0, "pays (right - wrong) / boxes: a partly right selection is > 0"),
    "click-checkboxes-large": (1.0, "pays (right - wrong) / boxes: a partly right selection is > 0"),
    "click-checkboxes-soft": (1.0, "pays (right - wrong) / boxes: a partly right selection is > 0"),
    "click-checkboxes-transfer": (1.0, "pays (right - wrong) / boxes: a partly right selection is > 0"),
    "button-delay": (1.0, "pays 0.6 / 0.35 / 0 for a second click 15-85% off the asked delay"),
    "tic-tac-toe": (1.0, "pays -0.5 / -0.75 for a draw or a full board; only a win is +1"),
    "bisect-angle": (0.9, "pays 1 - angular error (continuous); success: within 10% of exact"),
    "circle-center": (0.9, "pays 1 - distance error (continuous); success: within 10% of exact"),
    "find-midpoint": (0.9, "pays 1 - distance error (continuous); success: within 10% of exact"),
    "right-angle": (0.9, "pays 1 - angle error / 90 degrees (continuous); success: within 10%"),
    "chase-circle": (0.9, "pays the share of time the cursor stayed on the circle"),
    "draw-circle": (0.9, "pays a drawing score; success: within 10% of a perfect drawing"),
    "draw-line": (0.9, "pays a drawing score; success: within 10% of a perfect drawing"),
}
# the per-task plans (assets/browser/), loaded after miniwob_core.js
PLAN_FILES = ("miniwob_plans.js", "miniwob_plans_forms.js")
# What a table reader should know of a task: page quirks, and why a task has no plan (yet).
NOTES: dict[str, str] = {
    "moving-items": "ends by its own 9.9 s wall-clock timer; raw reward -1 plus the points of the circles hit",
    "simon-says": "shows a sequence with timers, then ends on the agent's clicks; no plan yet",
    "chase-circle": "ends by its own timer after the circle's moves (wall clock); no plan (continuous tracking)",
    "hover-shape": "never ends an episode: the page's score is a TODO (no endEpisode call); only the time "
                   "limit ends it",
    "click-pie": "the wheel's first item is pre-selected and wheelnav ignores clicks on it: an episode asking for it "
                 "cannot be won",
    "click-pie-nodelay": "as click-pie: an episode asking for the pre-selected first item cannot be won",
    "click-tab-2-medium": "the asked link may have been in the emptied tab 2: then clicking tab 2 is the answer",
    "click-menu": "submenus open while the pointer rests on their item: the oracle moves it there with a 0-px scroll",
    "click-checkboxes-soft": "needs word similarity (synonyms) that the page does not hold; no plan",
    "click-scroll-list": "picking several options of a list box needs Ctrl+click (a key held during a click); no plan",
    "count-sides": "the shape is drawn on a canvas: its sides are not in the DOM; no plan",
    "number-checkboxes": "the digit's pattern is an image, not in the DOM; no plan",
    "draw-circle": "free drawing; no plan",
    "draw-line": "free drawing; no plan",
    "hot-cold": "the hot spot is found by probing with feedback; no plan yet",
    "stock-market": "the price drops to the limit for about 100 ms (wall clock): the oracle polls and clicks then, "
                    "and misses the dip when the machine is slow: runs of 20 seeds at load average 10-13 gave "
                    "strings 95-100% and the vector form 65-95%; alternated on one env, both 20 of 20",
    "button-delay": "the second click must come after the asked delay (wall clock, within 15%)",
    "tic-tac-toe": "a game against an opponent that plays at random 55% of the time, else wins or blocks: the "
                   "oracle's move maximises the chance to win, and some games still end in a draw or a loss",
    "terminal": "the oracle reads the file names from the page's file list and types rm <name>",
}
for _name in ("bisect-angle", "circle-center", "find-midpoint", "right-angle", "book-flight", "book-flight-nodelay",
              "daily-calendar", "drag-cube", "drag-items-grid", "drag-shapes",
              "drag-shapes-2", "order-food", "text-editor", "use-colorwheel", "use-colorwheel-2"):
    NOTES.setdefault(_name, "no plan yet")


@lru_cache(maxsize=1)
def html_dir() -> Path:
    """The installed package's task folder (``miniwob/html/miniwob``)."""
    try:
        import miniwob
    except ImportError as err:
        raise ImportError("MiniWoB++ tasks need the `miniwob` package: pip install 'rewardgym[browser]'") from err
    return Path(miniwob.__file__).parent / "html" / "miniwob"


@lru_cache(maxsize=1)
def task_names() -> tuple[str, ...]:
    """Every MiniWoB++ task of the installed package, sorted."""
    return tuple(sorted(p.stem for p in html_dir().glob("*.html")))


def check_name(name: str) -> str:
    """``name`` if the package has it; else ``ValueError`` naming it and the closest names."""
    names = task_names()
    if name in names:
        return name
    close = difflib.get_close_matches(name, names, n=5, cutoff=0.5)
    hint = f"close names: {close}" if close else f"{len(names)} tasks, e.g. {list(names[:5])}"
    raise ValueError(f"unknown MiniWoB++ task {name!r}; {hint} (use task='miniwob/<name>')")


def success_threshold(name: str) -> float | None:
    """Raw reward needed for success; ``None``: any raw reward > 0."""
    entry = SUCCESS_THRESHOLDS.get(name)
    return entry[0] if entry else None


def _asset(name: str) -> str:
    return (resources.files("rewardgym.assets") / "browser" / name).read_text()


@lru_cache(maxsize=1)
def _init_js() -> str:
    """Defines ``window.__rgWob`` (generic resolvers + per-task plans) once after the page loads."""
    return "() => { " + _asset("miniwob_core.js") + "\n" + _plans_js() + " }"


def _plans_js() -> str:
    return "\n".join(_asset(f) for f in PLAN_FILES)


@lru_cache(maxsize=1)
def planned_tasks() -> tuple[str, ...]:
    """Tasks with a plan (hence target boxes): every ``P['<name>'] =`` of the plans file."""
    keys = set(re.findall(r"P\['([\w-]+)'\]\s*=", _plans_js()))
    return tuple(sorted(k for k in keys if k in task_names()))


def task_spec(name: str) -> dict:
    """Path and JavaScript snippets of one task (the fields of ``tasks.JSTask``)."""
    check_name(name)
    threshold = success_threshold(name)
    success = "WOB_RAW_REWARD_GLOBAL > 0" if threshold is None else f"WOB_RAW_REWARD_GLOBAL >= {threshold!r} - 1e-9"
    from miniwob.constants import WINDOW_WIDTH

    setup = ("(seed) => { Math.seedrandom(String(seed)); core.EPISODE_MAX_TIME = 3600 * 1000; "
             "core.startEpisodeReal(); return window.__rgWob.q(); }")
    key = json.dumps(name)
    return {
        "name": f"miniwob/{name}",
        "path": f"/miniwob/miniwob/{name}.html",
        "setup": setup,
        "targets": f"() => window.__rgWob.targets({key})",
        "state": ("() => ({done: WOB_DONE_GLOBAL, success: WOB_DONE_GLOBAL && " + success
                  + ", reward: WOB_RAW_REWARD_GLOBAL})"),
        "init": _init_js(),
        "vocabulary": "() => window.__rgWob.words()",
        # the width of the window the package lays its pages out in (the 160x210 task area at its top
        # left), so that widgets placed against the window (jQuery UI's collision handling) sit where
        # they do there; the height stays the view's, so the page scrolls where the task area
        # overflows it (in the package's 320-px window what lies 210-320 px down is off the screenshot
        # and cannot be scrolled in: buy-ticket's flights, which the original wins by DOM clicks only)
        "layout": (WINDOW_WIDTH, None),
    }
