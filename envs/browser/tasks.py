"""Browser tasks as JavaScript snippets run in the page (BrowserGym-style Task apart from Env).

A :class:`JSTask` knows its page URL and three snippets:

* ``setup``: ``(seed) => instruction`` builds a seeded episode on the loaded page;
* ``targets``: ``() => [elements]``, the element(s) whose click succeeds;
* ``state``: ``() => {done, success, reward}`` after a click (or any GUI action);
* ``vocabulary`` (optional): ``() => [strings]``, after ``setup``: what a ``"gui"`` action may
  type this episode (empty: the instruction's quoted words).

A task may also give ``layout``, the size of the window its page is laid out in, when that is
larger than what the agent sees (MiniWoB++: a 160x210 task area in a 500-px wide window); a
``None`` in it keeps the view's width or height.

rewardgym's own tasks (``assets/browser/own.*``), MiniWoB++ tasks and a user's folder of
pages (``task.json``: ``{"page", "setup", "targets", "state"}``) are all JSTasks.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

OWN_TASKS = ("click-button", "click-shape", "click-red", "click-checkbox", "click-link", "click-icon",
             "click-scroll-item")
# MiniWoB++ tasks with an id of their own (rewardgym/BrowserMiniwob...-v0); every task of the
# installed package is playable as task="miniwob/<name>" (miniwob.task_names()).
MINIWOB_TASKS = ("click-test", "click-test-2", "click-test-transfer", "click-button", "click-link",
                 "click-dialog-2", "focus-text", "focus-text-2", "click-color", "click-tab")


@dataclass(frozen=True)
class JSTask:
    name: str
    path: str            # URL path on the task server
    setup: str
    targets: str
    state: str
    init: str = ""       # run once after the page loads
    vocabulary: str = ""  # () => [strings] a "gui" action may type this episode ("" = the instruction's quoted words)
    layout: tuple[int | None, int | None] | None = None  # the page's layout viewport (CSS px; None: the view's)


def own_task(name: str) -> JSTask:
    if name not in OWN_TASKS:
        raise ValueError(f"unknown task {name!r}; own tasks: {OWN_TASKS}; MiniWoB++: 'miniwob/<name>' for any "
                         f"task of the installed miniwob package, e.g. 'miniwob/{MINIWOB_TASKS[0]}'")
    return JSTask(name, "/rg/own.html", f"(seed) => rg.setup({json.dumps(name)}, seed)", "() => rg.targets()",
                  "() => rg.state()")


def miniwob_task(name: str) -> JSTask:
    """Any task of the installed ``miniwob`` package (catalogue, success rule, plans: ``miniwob.py``)."""
    from . import miniwob

    return JSTask(**miniwob.task_spec(name))


def folder_task(folder: str | Path, prefix: str) -> JSTask:
    """A user's task folder served under ``prefix``; its ``task.json`` holds the snippets."""
    spec_file = Path(folder) / "task.json"
    if not spec_file.exists():
        raise FileNotFoundError(f"task folder {folder} has no task.json (keys: page, setup, targets, state)")
    spec = json.loads(spec_file.read_text())
    missing = {"page", "setup", "targets", "state"} - set(spec)
    if missing:
        raise ValueError(f"{spec_file} lacks {sorted(missing)}")
    return JSTask(spec.get("name", Path(folder).name), prefix + spec["page"], spec["setup"], spec["targets"],
                  spec["state"], spec.get("init", ""), spec.get("vocabulary", ""))


def resolve(task: str, task_dir: str | None, server) -> JSTask:
    if task_dir is not None:
        return folder_task(task_dir, server.add_root(task_dir))
    if task.startswith("miniwob/"):
        if "/miniwob/" not in server.roots:
            raise ImportError("MiniWoB++ tasks need the `miniwob` package: pip install 'rewardgym[browser]'")
        return miniwob_task(task[len("miniwob/"):])
    return own_task(task)
