"""Scripted oracles for MiniWoB++ tasks: each step reads the task's plan from the page
(``window.__rgWob.planJSON``, see ``assets/browser/miniwob_core.js``) and acts through the env.

The oracle has privileged access (it reads the page like the target boxes do) but acts only
through ``env.step``: clicks as ``action_type="point"`` actions, or any kind (click, type,
key, drag) as :class:`~rewardgym.envs.browser.actions.GuiAction` with ``action_type="gui"``,
under the env's typing rule (without ``free_text`` a text that is not in the episode's
vocabulary is typed one character key at a time); ``vector=True`` sends only the ``Box(9,)``
vectors of those actions (``actions.encode``), as a stable-baselines3 agent would.
A ``scroll`` of 0 pixels at a point moves the pointer there (menus that open on hover). A plan
step of kind ``"wait"`` (an animation or the task's own delay) sleeps 20 ms without a
step, as a slow agent would; after a scroll it waits 0.3 s (Chromium animates wheel scrolls).

Example::

    env = gym.make("rewardgym/Browser-v0", task="miniwob/click-checkboxes", max_episode_steps=40)
    result = run_episode(env, seed=0)   # OracleResult(success=True, reward=1.0, steps=4, ...)
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import numpy as np


# Chromium animates a wheel scroll; positions read right after it may still move
SCROLL_SETTLE_S = 0.3


@dataclass(frozen=True)
class OracleAction:
    """One env action, in the fields of ``GuiAction``: coordinates are viewport fractions."""
    kind: str
    x: float = 0.0
    y: float = 0.0
    x2: float = 0.0
    y2: float = 0.0
    text: str = ""
    key: str = ""
    dy: float = 0.0


@dataclass(frozen=True)
class OracleResult:
    success: bool
    reward: float
    steps: int
    why: str = ""


def plan(env) -> dict[str, Any] | None:
    """The task's next step as the page states it, or ``None`` (no plan, or the task is over)."""
    base = env.unwrapped
    name = base.task.name.split("/", 1)[1]
    return base.session.page.evaluate(f"() => window.__rgWob.planJSON({json.dumps(name)})")


def actions(step: dict[str, Any], max_text_len: int = 64) -> list[OracleAction]:
    """The env actions of one plan step (its first target box is acted on, at its centre, or at
    the plan's own point ``at``); text longer than ``max_text_len`` is typed in pieces."""
    w, h = step["w"], step["h"]
    if step["kind"] == "wait":
        return []
    if step["at"] is not None:
        x, y = step["at"][0] / w, step["at"][1] / h
    elif step["boxes"]:
        b = step["boxes"][0]
        x, y = (b[0] + b[2]) / 2 / w, (b[1] + b[3]) / 2 / h
    else:
        x = y = 0.5
    if step["kind"] == "scroll":
        return [OracleAction("scroll", x, y, dy=float(step["dy"]))]
    if step["kind"] == "drag":
        return [OracleAction("drag", x, y, step["to"][0] / w, step["to"][1] / h)]
    if step["kind"] == "type":
        text = step["text"]
        return [OracleAction("type", x, y, text=text[i:i + max_text_len]) for i in range(0, len(text), max_text_len)]
    if step["kind"] == "key":
        return [OracleAction("key", x, y, key=step["key"])]
    return [OracleAction(step["kind"], x, y)]


def env_actions(env, a: OracleAction, vector: bool = False) -> list:
    """``a`` in the env's action space, as one or more env actions: a point for clicks, else
    ``GuiAction``s under the env's typing rule (without ``free_text``: a text not in the
    vocabulary is typed one key at a time), or, with ``vector``, their ``Box(9,)`` vectors
    (``actions.encode``; a scroll longer than ``scroll_px`` is several scrolls)."""
    base = env.unwrapped
    kind = base.action_type
    if kind != "gui":
        if a.kind != "click":
            raise NotImplementedError(f"the oracle's {a.kind!r} action needs action_type='gui' (env has {kind!r})")
        point = np.array([min(max(a.x, 0.0), 1.0), min(max(a.y, 0.0), 1.0)], dtype=np.float32)
        return [point if kind == "point" else np.concatenate([point, point])]
    from .actions import GuiAction, encode, typing_actions

    if a.kind == "type":
        gui = [GuiAction("type", text=a.text)] if base.free_text and not vector \
            else typing_actions(a.text, base.vocabulary)
    elif a.kind == "scroll" and vector:
        n = max(1, int(np.ceil(abs(a.dy) / base.scroll_px - 1e-9)))
        gui = [GuiAction("scroll", x=a.x, y=a.y, dy=a.dy / n)] * n
    else:
        fields = {"click": ("x", "y"), "dblclick": ("x", "y"), "key": ("key",), "scroll": ("x", "y", "dy"),
                  "drag": ("x", "y", "x2", "y2"), "noop": ()}[a.kind]
        gui = [GuiAction(kind=a.kind, **{f: getattr(a, f) for f in fields})]
    return [encode(g, base.vocabulary, base.scroll_px) for g in gui] if vector else gui


def run_episode(env, seed: int, max_steps: int = 200, max_seconds: float = 30.0, vector: bool = False) -> OracleResult:
    """Plays one seeded episode with the oracle; success and reward are the env's own. ``vector``:
    act only through the ``Box(9,)`` vectors of ``action_type="gui"`` (what stable-baselines3 sends)."""
    env.reset(seed=seed)
    steps, reward, start = 0, 0.0, time.monotonic()
    while steps < max_steps and time.monotonic() - start < max_seconds:
        step = plan(env)
        if step is None:
            return OracleResult(False, reward, steps, "no plan for this state")
        todo = actions(step, getattr(env.unwrapped, "max_text_len", 64))
        if not todo:
            time.sleep(0.02)
            continue
        for a in todo:
            try:
                batch = env_actions(env, a, vector)
            except (NotImplementedError, ValueError) as err:
                return OracleResult(False, reward, steps, str(err))
            for action in batch:
                _, reward, terminated, truncated, info = env.step(action)
                steps += 1
                if terminated or truncated:
                    return OracleResult(bool(info["success"]), float(reward), steps,
                                        "" if info["success"] else ("time limit" if truncated else "task says failed"))
            if a.kind == "scroll":
                time.sleep(SCROLL_SETTLE_S)  # Chromium animates wheel scrolls: let the page settle
    return OracleResult(False, reward, steps, "oracle ran out of steps or time")


def success_rate(env, seeds, vector: bool = False) -> tuple[float, list[OracleResult]]:
    results = [run_episode(env, s, vector=vector) for s in seeds]
    return sum(r.success for r in results) / max(1, len(results)), results
