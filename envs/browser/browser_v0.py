"""``rewardgym/Browser-v0``: GUI tasks in a real headless Chromium, driven by Playwright.

## Description
A task page (rewardgym's own, MiniWoB++'s, a user's folder, or any local page as grounding
episodes, ``task="grounding"``: ``grounding.py``) is served from a loopback HTTP server; the
agent sees a screenshot and an instruction and clicks a point, points at a box (clicked at its
centre), or acts with the GUI action space (click, double click, type, key, scroll, drag). The
page's own logic scores the episode. Every correct element's box is reported so grounding
rewards (GUI-G^2) can be computed.

## Action Space
``action_type="point"``: ``Box(0, 1, (2,))``, ``(x, y)`` as fractions of the viewport.
``action_type="box"``: ``Box(0, 1, (4,))``, two corners ``(x1, y1, x2, y2)`` in any order: the box
is ``[min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)]``, clicked at its centre
``((x1 + x2) / 2, (y1 + y2) / 2)``; every action the space samples is valid. Values outside
[0, 1] or NaN raise ``ValueError`` naming the value.
``action_type="gui"``: ``Box(9,)``, the flat encoding of a :class:`~.actions.GuiAction`
(``actions.py``: index 0 the kind of 7, 1-4 ``x, y, x2, y2``, 5 an index into this episode's
``info["vocabulary"]``, 6 an index into ``actions.KEYS`` (16 named keys and the 94 printable ASCII
characters), 7-8 scroll ``dx, dy`` in
``[-1, 1] * scroll_px``); every sampled vector is valid. ``step`` also takes a string, a dict or
a ``GuiAction`` (one parser, ``actions.parse_action``): ``'click(0.4, 0.2)'``, ``'type("hello")'``,
``'key("Enter")'``, ``'scroll(0, 120)'``, ``'drag(0.1, 0.2, 0.8, 0.2)'``,
``'{"action": "dblclick", "x": 0.5, "y": 0.5}'``. The typing rule (``actions.py``) is the same for
every form: without ``free_text``, ``type`` types one entry of the episode's vocabulary (the task's
``vocabulary`` snippet, else the instruction's double-quoted phrases; MiniWoB++: those and the
task's own field values) and ``key`` presses one of ``actions.KEYS``, so other text is entered one
character key at a time and a string can do exactly what a vector can; ``free_text=True``: any
text and any Playwright key. Text is at most ``max_text_len`` characters; coordinates finite in
[0, 1]. Else ``ValueError`` naming the value, before anything runs (the episode goes on).

## Observation Space
``obs_type="default"``: ``Dict(screenshot=Box(0, 255, (H, W, 3), uint8), instruction=Text)``;
``"pixels"``: the screenshot alone (for stable-baselines3, which takes no Text spaces);
``"elements"``: the default plus ``elements``: Text holding JSON of the visible interactive
elements (tag, text, box in [0, 1]).

## Starting State
``reset(seed=...)`` builds the seeded episode on the page and returns the first observation only
when the page is ready (web fonts loaded, images and CSS background images decoded, animations
finished or 1 s passed; the screenshot then waits for a fresh frame). A freshly loaded page first
runs one warm-up episode (``setup(0)``), then its timers are stopped and it is loaded again, so
its resources are cached and nothing the warm-up started runs into the first episode; the pointer
leaves the page at each reset (no element starts hovered), and Chromium re-rasters changed tiles
whole (``--disable-partial-raster``): the same seed gives the same pixels on a cold page, on
another env, or later in the same env.

## Rewards and Episode End
The task's own reward: own tasks +1 for the correct element, -1 for a wrong one, 0 for a click
on nothing (or any other action); MiniWoB++ tasks their raw reward; grounding 1 for a click in
the element's box, else 0. The episode ends (``terminated``) when the task's ``state`` says
done (own tasks and grounding: the first click on an element); ``max_steps`` (when set) and the
registered time limit (10 steps; pass ``max_episode_steps`` to ``gym.make`` for longer
episodes) truncate it. A page that breaks its own episode
(navigates away, is closed, or its task script throws) ends it too: reward 0, ``terminated``,
``info["failure"]`` says why, no target boxes; the next ``reset()`` reloads the page.

## Info
``success``; ``target_boxes`` (K, 4) in [0, 1], the same frame as the action (also from
``reset``); ``target_elements``: a list of K ``{"role": str, "name": str}``, one per row of
``target_boxes``, the accessible role and name of that target as Chromium computes them (its
``Element.computedRole`` / ``computedName``, the values of its accessibility tree; ``""`` where
it has none, e.g. a ``<label>`` target, which the tree folds into its control), read in the same
page call as the boxes, when the element first becomes a target in the episode (resets took
0.97-1.11 and steps 0.92-1.05 of the time without: ``benchmarks/bench_target_elements.py``).
Both are absent from the info of the step that ends the episode (``terminated``: nothing is left
to act on), so a task with one target gives infos of one shape, which Gymnasium's vector envs
need to batch them; ``click``: ``{x, y, tag, id, text}`` of the element under an action's point;
``action`` (``"gui"``): the ``GuiAction`` run; ``vocabulary`` (``"gui"``): what ``type`` may
type; ``blocked_requests``: the number of requests refused so far because they left the task
server's origin, whichever layer refused them (request routing or the env's proxy); ``failure``
(only when the page broke the episode): why.

## Copies and lifetime
``pickle`` and ``copy.deepcopy`` recreate the env from its constructor arguments and carry its
spec and random generator: the same task, settings and next unseeded episode, on a fresh page (a
live browser's page and episode in progress cannot be carried); call ``reset()``.
``close()`` stops this env's page (and Chromium with the process's last env); a later
``reset()`` relaunches it. Each process has its own Chromium, task server and network namespace:
a forked child (Gymnasium's ``AsyncVectorEnv`` and SB3's ``SubprocVecEnv`` fork by default on
Linux) leaves its parent's alone and makes its own, and a forked copy of an env starts on a page of
the child's at its next ``reset()``.

## Arguments
| name | default | meaning |
|---|---|---|
| task | "click-button" | own task, ``"miniwob/<name>"``, ``"grounding"``, or the name of a ``task_dir`` |
| action_type | "point" | "point", "box" or "gui" |
| obs_type | "default" | "default", "pixels", "elements" |
| viewport | (160, 210) | width, height in pixels |
| executable_path | /usr/bin/chromium | or ``$REWARDGYM_CHROMIUM`` |
| task_dir | None | a folder with ``task.json`` and its pages (``"grounding"``: any saved site folder) |
| page | None | ``"grounding"``: a local HTML file, or the start page relative to ``task_dir`` (``index.html``) |
| max_steps | None | truncate an episode after this many steps (beside the registered time limit) |
| max_text_len | 64 | ``"gui"``: the longest text a ``type`` action may type |
| scroll_px | 100.0 | ``"gui"``: pixels of a full-scale scroll in the vector encoding |
| free_text | False | ``"gui"``: strings and ``GuiAction`` may type any text and press any key, not only the vocabulary and ``actions.KEYS`` |
| frame_rate_limit | None | ``True``: Chromium's 60 frames/s clock (a screenshot waits for its tick); ``False``: frames drawn on demand, faster, but a page animating with ``requestAnimationFrame`` spins a core; ``None``: ``False`` for rewardgym's own and MiniWoB++ tasks (no such animation), ``True`` for a ``task_dir`` or ``page`` |
| timeout_ms | 5000 | per browser call; past it Chromium is killed and ``TimeoutError`` names task and step |

## Version History
* v0: initial release. Later, without a version bump (no change to spaces or rewards of a
  working episode): box corners in any order, page failures end the episode, ready-page resets,
  the network-namespace sandbox; ``action_type="gui"``, ``max_steps`` and ``task="grounding"``
  (new options: point and box episodes unchanged); ``info["target_elements"]``. Changes to
  ``"gui"`` and grounding episodes (point and box episodes of own tasks unchanged): ``actions.KEYS``
  grew from 16 to 110 keys (the vector's key index maps to other keys) and one typing rule holds
  for strings and vectors; grounding targets only elements a person can see, named by Chromium's
  accessibility tree; MiniWoB++ pages are laid out 500 px wide, the width of the package's window
  (its 160x210 task area is the screenshot), as in the original, so widgets placed against the
  window sit where they do there (``click-dialog`` is winnable).
"""
from __future__ import annotations

import io
import json
import os
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.utils import EzPickle

from . import actions
from .page_js import after_action_js, reset_js
from .server import shared_server
from .session import DEFAULT_EXECUTABLE, STOP_TIMERS_JS, PageSession
from .tasks import resolve
from ..gui.contract import click_point, instruction_space
from .calls import GuardedCalls, PageFailure
from .watchdog import Watchdog

class BrowserEnv(GuardedCalls, gym.Env, EzPickle):
    __doc__ = __doc__
    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}

    def __init__(self, task: str = "click-button", action_type: str = "point", obs_type: str = "default",
                 render_mode: str | None = None, viewport: tuple[int, int] = (160, 210),
                 executable_path: str = DEFAULT_EXECUTABLE, task_dir: str | None = None, timeout_ms: float = 5000,
                 frame_rate_limit: bool | None = None, page: str | None = None, max_steps: int | None = None,
                 max_text_len: int = 64, scroll_px: float = 100.0, free_text: bool = False):
        EzPickle.__init__(self, task=task, action_type=action_type, obs_type=obs_type, render_mode=render_mode,
                          viewport=viewport, executable_path=executable_path, task_dir=task_dir,
                          timeout_ms=timeout_ms, frame_rate_limit=frame_rate_limit, page=page, max_steps=max_steps,
                          max_text_len=max_text_len, scroll_px=scroll_px, free_text=free_text)
        if action_type not in ("point", "box", "gui"):
            raise ValueError(f"action_type must be 'point', 'box' or 'gui', got {action_type!r}")
        if max_steps is not None and (isinstance(max_steps, bool) or int(max_steps) != max_steps or max_steps < 1):
            raise ValueError(f"max_steps must be None or an integer >= 1, got {max_steps!r}")
        if isinstance(max_text_len, bool) or int(max_text_len) != max_text_len or max_text_len < 1:
            raise ValueError(f"max_text_len must be an integer >= 1, got {max_text_len!r}")
        if not (isinstance(scroll_px, (int, float)) and 0 < scroll_px < float("inf")):
            raise ValueError(f"scroll_px must be a finite number > 0, got {scroll_px!r}")
        self.max_steps, self.max_text_len, self.scroll_px = max_steps, int(max_text_len), float(scroll_px)
        self.free_text, self.vocabulary = bool(free_text), ()
        if obs_type not in ("default", "pixels", "elements"):
            raise ValueError(f"obs_type must be 'default', 'pixels' or 'elements', got {obs_type!r}")
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        self.server = shared_server()
        if task == "grounding":
            from .grounding import grounding_task

            self.task = grounding_task(self.server, page, task_dir)
        elif page is not None:
            raise ValueError(f"page= is for task='grounding' (got task={task!r}, page={page!r})")
        else:
            self.task = resolve(task, task_dir, self.server)
        self.page_url = self.server.origin + self.task.path
        self.action_type, self.obs_type, self.render_mode = action_type, obs_type, render_mode
        self.viewport = (int(viewport[0]), int(viewport[1]))
        # the page's layout viewport: larger than what the agent sees where the task lays its page out
        # in a larger window (MiniWoB++: the task's 160x210 area at the top left of a 500-px wide one)
        lw, lh = self.task.layout or (None, None)
        self.layout = (max(lw or 0, self.viewport[0]), max(lh or 0, self.viewport[1]))
        if not timeout_ms > 0:
            raise ValueError(f"timeout_ms must be > 0, got {timeout_ms!r}")
        self.timeout_ms, self._hung = float(timeout_ms), False
        self._watchdog = Watchdog(self._kill_hung_browser)
        if frame_rate_limit not in (None, True, False):
            raise ValueError(f"frame_rate_limit must be None, True or False, got {frame_rate_limit!r}")
        user_page = task_dir is not None or page is not None
        self.frame_rate_limit = user_page if frame_rate_limit is None else frame_rate_limit
        self.executable_path = executable_path
        self.session, self._pid = self._new_session(), os.getpid()
        self._reset_js = reset_js(self.task, obs_type == "elements", self.viewport)
        self._after_action_js = after_action_js(self.task, obs_type == "elements")
        w, h = self.viewport
        if action_type == "gui":
            self.action_space = actions.gui_space()
        else:
            self.action_space = spaces.Box(0.0, 1.0, (2 if action_type == "point" else 4,), np.float32)
        shot = spaces.Box(0, 255, (h, w, 3), np.uint8)
        text = instruction_space()  # the GUI contract's (envs/gui/contract.py), as Grounding-v0's
        if obs_type == "pixels":
            self.observation_space = shot
        else:
            parts = {"screenshot": shot, "instruction": text}
            if obs_type == "elements":
                parts["elements"] = spaces.Text(max_length=8192, charset=[chr(c) for c in range(32, 127)])
            self.observation_space = spaces.Dict(parts)
        self._loaded = False
        self._frame = None
        self._instruction = ""
        self._steps = 0

    # --- copies: the constructor arguments (EzPickle), the registered spec and the RNG; a fresh page
    def __getstate__(self) -> dict:
        return dict(EzPickle.__getstate__(self), spec=self.spec, np_random=self._np_random,
                    np_random_seed=self._np_random_seed)

    def __setstate__(self, state: dict) -> None:
        state = dict(state)
        spec, rng, rng_seed = state.pop("spec", None), state.pop("np_random", None), state.pop("np_random_seed", None)
        EzPickle.__setstate__(self, state)
        self.spec, self._np_random, self._np_random_seed = spec, rng, rng_seed

    def _new_session(self) -> PageSession:
        return PageSession(self.server, self.layout, self.executable_path, self.timeout_ms, self.frame_rate_limit)

    # --- helpers ------------------------------------------------------------------------
    def _screenshot(self) -> np.ndarray:
        from PIL import Image

        # the whole layout viewport, cut to the view here: Playwright's clip= costs a few ms more
        w, h = self.viewport
        png = self._call("screenshot", lambda: self.session.page.screenshot(type="png"))
        return np.ascontiguousarray(np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))[:h, :w])

    @staticmethod
    def _boxes(raw) -> np.ndarray:
        return np.clip(np.asarray(raw, dtype=np.float32).reshape(-1, 4), 0.0, 1.0)

    def _obs(self, elements=None, frame: np.ndarray | None = None):
        self._frame = self._screenshot() if frame is None else frame
        if self.obs_type == "pixels":
            return self._frame
        obs = {"screenshot": self._frame, "instruction": self._instruction[:512]}
        if self.obs_type == "elements":
            obs["elements"] = json.dumps(elements or [], separators=(",", ":"))[:8192]
        return obs

    def _info(self, page_state: dict) -> dict[str, Any]:
        targets = page_state["targets"]
        info = {"target_boxes": self._boxes(targets["boxes"]), "target_elements": [
                    {"role": str(t.get("role") or ""), "name": str(t.get("name") or "")} for t in targets["roles"]],
                "blocked_requests": self.session.blocked_count, "instruction": self._instruction}
        if self.action_type == "gui":
            info["vocabulary"] = list(self.vocabulary)
        return info

    def _failed_step(self, reason: str, click: dict):
        """A clean end of the episode the page broke: reward 0, ``terminated``, ``info["failure"]``."""
        self._loaded = False  # the next reset() reloads the page (or opens a new one)
        frame = self._frame if self._frame is not None else np.zeros(self.observation_space_shape, np.uint8)
        page = self.session.page
        if page is not None and not page.is_closed():
            try:
                frame = self._screenshot()
            except PageFailure:
                pass
        info = self._info({"targets": {"boxes": np.zeros((0, 4), np.float32), "roles": []}})
        del info["target_boxes"], info["target_elements"]  # the episode ended: see Info
        info.update(click=click, success=False, failure=reason)
        return self._obs(None, frame=frame), 0.0, True, False, info

    @property
    def observation_space_shape(self) -> tuple[int, int, int]:
        return (self.viewport[1], self.viewport[0], 3)

    # --- gymnasium API ------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        if self._pid != os.getpid():  # a copy forked from another process: its own server and page here
            self.__setstate__(self.__getstate__())
        super().reset(seed=seed)
        stepped, self._steps = self._steps > 0, 0
        if self.session is None:  # closed: relaunch (stable-baselines3's check_env resets after close())
            self.session = self._new_session()
            self._loaded = False
        page = self.session.ensure_page()
        try:
            if stepped:  # the pointer leaves the page: no element of the next episode starts hovered
                self._call("pointer reset", lambda: page.mouse.move(-1, -1))
            if not self._loaded or page.url != self.page_url:
                # One warm-up episode on a fresh page: what the first setup fetches or lays out
                # lazily (icon sprites, fonts) is then cached for every episode. The page is then
                # loaded again, its timers stopped first: nothing the warm-up started (a timer, a
                # navigation) runs into the first episode.
                for load in ("page load", "page load after the warm-up"):
                    self._call(load, lambda: page.goto(self.page_url, wait_until="load"))
                    if self.task.init:
                        self._call("page init", lambda: page.evaluate(self.task.init))
                    if load == "page load":
                        try:
                            self._call("warm-up setup", lambda: page.evaluate(self._reset_js, 0))
                            self._call("warm-up end", lambda: page.evaluate(STOP_TIMERS_JS))
                        except PageFailure:  # the warm-up navigated away (or closed its page) before its
                            page = self.session.ensure_page()  # timers stopped: the load below undoes it
                self._loaded = True
            episode_seed = int(self.np_random.integers(0, 2**31 - 1))
            out = self._call("task setup", lambda: page.evaluate(self._reset_js, episode_seed))
            self._instruction = out["instruction"]
            self.vocabulary = actions.vocabulary(out.get("vocabulary"), self._instruction)
            info = self._info(out)
            info["success"] = False
            return self._obs(out["elements"]), info
        except PageFailure as failure:  # the page broke during its own setup: a broken task
            self._loaded = False
            raise RuntimeError(f"browser task {self.task.name!r}: reset failed, {failure}") from failure

    def _click_point(self, action) -> tuple[float, float]:
        """The click of a point or box action (the GUI contract's, as Grounding-v0's): a box's
        corners may come in any order, clicked at its centre."""
        return click_point(action, self.action_type)

    def gui_action(self, action) -> actions.GuiAction:
        """The :class:`~.actions.GuiAction` that ``step`` runs for ``action`` under ``"gui"``: a
        vector of the action space (decoded with this episode's vocabulary), or a string, dict or
        ``GuiAction`` (``parse_action``; checked under the typing rule, ``actions.check_typing``)."""
        if isinstance(action, (str, dict, actions.GuiAction)):
            return actions.check_typing(actions.parse_action(action), self.vocabulary, self.max_text_len,
                                        self.free_text)
        return actions.decode(action, self.vocabulary, self.scroll_px)

    def step(self, action):
        if self.action_type == "gui":
            act = self.gui_action(action)
        else:
            fx, fy = self._click_point(action)
            act = actions.GuiAction("click", x=fx, y=fy)
        if self.session is None:
            raise RuntimeError(f"browser task {self.task.name!r}: the env was closed; call reset() to relaunch it")
        if self.session.page is None or not self._loaded:
            raise RuntimeError(f"browser task {self.task.name!r}: call reset() first (the browser was restarted "
                               "or the last episode ended in a page failure)")
        self._steps += 1
        page = self.session.page
        click = {"x": act.x, "y": act.y, "tag": None, "id": "", "text": ""}
        try:
            at = self._call(act.kind, lambda: actions.execute(page, act, self.viewport))
            out = self._call("task state", lambda: page.evaluate(self._after_action_js, at))
            url = page.url.split("#", 1)[0]
            if url != self.page_url:  # a navigation the task state call still saw the old page of
                raise PageFailure(f"task state: the page navigated away to {url[:200]!r}")
            state = out["state"]
            info = self._info(out)
            if at is not None:
                info["click"] = {"x": act.x, "y": act.y, **(out["hit"] or {"tag": None, "id": "", "text": ""})}
            if self.action_type == "gui":
                info["action"] = act
            info["success"] = bool(state["success"])
            terminated = bool(state["done"])
            if terminated:  # no targets after the episode's end (see Info)
                del info["target_boxes"], info["target_elements"]
            truncated = not terminated and self.max_steps is not None and self._steps >= self.max_steps
            return self._obs(out["elements"]), float(state["reward"]), terminated, truncated, info
        except PageFailure as failure:
            return self._failed_step(str(failure), click)

    def render(self):
        if self.render_mode == "rgb_array":
            return self._frame if self._frame is not None else self._screenshot()
        return None

    def close(self):
        if getattr(self, "_watchdog", None) is not None:
            self._watchdog.stop()
        if getattr(self, "session", None) is not None:
            self.session.close()
            self.session = None
            self._loaded = False
