"""Grounding episodes from any local page (``task="grounding"``), ScreenSpot-style.

Each episode picks one visible interactive element of the page (a link, button, form field,
or anything with a widget ``role``, ``onclick`` or ``tabindex``) that lies wholly inside the
viewport, is not covered at its centre, and whose (role, accessible name) pair is unique on the
page; the seed chooses which. The instruction is made from that pair, e.g. ``Click the "Sign in"
button.``; the name comes from ``aria-label``, ``aria-labelledby``, a ``<label>``, a button's
value, the visible text (images' ``alt`` included), ``title`` or ``placeholder``, in that order.
The target box is the element's box in the DOM. The first left-button press ends the episode:
reward 1 and ``success`` when it lands inside the element's box, else 0. Clicks are scored
only: the page follows no link and submits no form.

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
