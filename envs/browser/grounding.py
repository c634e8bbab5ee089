r"""Grounding episodes from any local page (``task="grounding"``), ScreenSpot-style.

Each episode picks one element a person can see and click: rendered (no ``display: none``,
``visibility: hidden`` or ``opacity: 0`` on it or an ancestor), at least 3x3 px, wholly inside the
view, not clipped by an ancestor's overflow, and on top at 9 points of a grid over its box (at
20%, 50% and 80% of its width and height: not covered); with an interactive role (a link, button, form
field, tab, menu item, ...) and a non-empty accessible name; and whose (role, name) pair no other
element seen on the page shares. Role and name are Chromium's own (``Element.computedRole`` and
``computedName``, the values of its accessibility tree): ``aria-labelledby`` before ``aria-label``,
then a ``<label>``, a button's value (``"Submit"`` for an ``<input type="submit">`` without one),
the content, ``title``, ``placeholder``, as the accname rules say. The seed chooses which. The
instruction is made from that pair, e.g. ``Click the "Sign in" button.``: the name is written as a
JSON string literal, so a ``"`` in it appears as ``\"`` and a ``\`` as ``\\`` (``json.loads``
of the quoted part gives the name back). The target box is the element's box in the DOM. The
first left-button press ends the episode: reward 1 and ``success`` when it lands inside the
element's box, else 0. Clicks are scored only: the page follows no link and submits no form.
A page with no such element fails ``reset`` with one ``RuntimeError`` naming the page.

The page is served like a ``task_dir`` (its folder under its own path of the env's loopback
server, inside the sandbox): whatever it loads from elsewhere is blocked and counted in
``info["blocked_requests"]``. See docs/browser.md, "Grounding episodes from any page".
"""
from __future__ import annotations

import urllib.parse
from importlib import resources
from pathlib import Path

from .tasks import JSTask


def _script() -> str:
    return (resources.files("rewardgym.assets") / "browser" / "grounding.js").read_text()


def grounding_task(server, page: str | None = None, task_dir: str | None = None) -> JSTask:
    """The grounding task of ``page`` (a local HTML file), or of ``task_dir`` (a saved site
    folder) with ``page`` its start page relative to it (default ``index.html``).

    Raises:
        ValueError: neither given, or ``page`` leaves ``task_dir``.
        FileNotFoundError: the page does not exist.
    """
    if task_dir is not None:
        folder = Path(task_dir).resolve()
        file = (folder / (page or "index.html")).resolve()
        if folder not in file.parents:
            raise ValueError(f"page {page!r} is outside task_dir {str(task_dir)!r}")
    elif page is not None:
        file = Path(page).resolve()
        folder = file.parent
    else:
        raise ValueError("task='grounding' needs page= (a local HTML file) or task_dir= (a saved site folder, "
                         "with page= its start page, default index.html)")
    if not file.is_file():
        raise FileNotFoundError(f"grounding page {str(file)!r} does not exist")
    rel = file.relative_to(folder).as_posix()
    prefix = server.add_root(folder)
    return JSTask(name=f"grounding:{rel}", path=prefix + urllib.parse.quote(rel),
                  setup="(seed) => window.__rgGround.setup(seed)", targets="() => window.__rgGround.targets()",
                  state="() => window.__rgGround.state()", init="() => {\n" + _script() + "\n}",
                  vocabulary="() => []")
