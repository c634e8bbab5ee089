"""GUI actions for ``rewardgym/Browser-v0`` (``action_type="gui"``): one dataclass, one parser,
one vector encoding for stable-baselines3, and one executor in Playwright.

An action is a :class:`GuiAction` of one of seven kinds (:data:`KINDS`). Coordinates are
fractions of the viewport in [0, 1] (``x, y``: where; ``x2, y2``: a drag's end), ``dx, dy``
scroll in pixels, ``text`` types into the focused element, ``key`` is a Playwright key name
(``"Enter"``, ``"Shift+Tab"``, ``"a"``).

Language agents write actions as strings, read by :func:`parse_action` (the one parser)::

    >>> parse_action('click(0.4, 0.2)')
    GuiAction(kind='click', x=0.4, y=0.2, x2=None, y2=None, text=None, key=None, dx=0.0, dy=0.0)
    >>> parse_action('{"action": "type", "text": "hello"}').text
    'hello'
    >>> parse_action('drag(0.1, 0.2, 0.8, 0.2)').x2
    0.8
    >>> parse_action("scroll(0, 120)").dy        # scroll(dx, dy) at the viewport's centre
    120.0
    >>> parse_action('key("Ctrl+a")')  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: key 'Ctrl+a' is not a Playwright key name (modifiers: Alt, Control, ControlOrMeta, ...)

Call forms: ``noop()``, ``click(x, y)``, ``dblclick(x, y)``, ``type("text")``, ``key("Enter")``
(alias ``press``), ``scroll(dx, dy)`` or ``scroll(x, y, dx, dy)``, ``drag(x, y, x2, y2)``;
keyword arguments work too (``click(x=0.4, y=0.2)``). JSON: an object with ``"action"`` (or
``"kind"``) and the fields by name. Parsing uses :mod:`ast` and reads literals only: nothing is
evaluated.

For stable-baselines3 (no ``Text`` spaces, no ``Dict`` action spaces) the same actions are a flat
``Box`` of 9 numbers (:func:`gui_space`, :func:`decode`, :func:`encode`):

====  ==============  ======================================================================
 i     range           meaning
====  ==============  ======================================================================
 0     [0, 1]          kind: ``KINDS[min(int(v * 7), 6)]``
 1-2   [0, 1]          ``x, y``
 3-4   [0, 1]          ``x2, y2`` (drag end)
 5     [0, 1]          text: ``vocabulary[min(int(v * len(vocabulary)), len - 1)]``
 6     [0, 1]          key: ``KEYS[min(int(v * len(KEYS)), len - 1)]`` (110 keys: 16 named, 94 characters)
 7-8   [-1, 1]         scroll ``dx, dy`` times ``scroll_px``
====  ==============  ======================================================================

Every vector the space samples is a valid action (a ``type`` with an empty vocabulary types
nothing).

**Typing rule.** What an agent may type is the same whatever form its actions take. Unless the
env has ``free_text=True``, an action given as a string, a dict or a :class:`GuiAction` may do
only what a vector can (:func:`check_typing`):

* ``type(text)``: ``text`` is one entry of the episode's vocabulary (whole words or phrases the
  task offers: the instruction's quoted phrases, a task's own list);
* ``key(k)``: ``k`` is one of :data:`KEYS`: the 16 named keys forms need (Enter, Tab, arrows,
  Backspace, select-all, ...) and every printable ASCII character (``"J"``, ``"7"``, ``":"``; a
  space is ``"Space"``).

So any ASCII text can be entered, a vocabulary entry in one action or any text one character key
at a time (:func:`typing_actions` gives the actions for a text), and an agent that writes strings
has exactly the actions of an agent that outputs vectors: their results compare. With
``free_text=True`` strings, dicts and ``GuiAction``s may type any text (up to ``max_text_len``)
and press any Playwright key; the vector form stays as above.
"""
from __future__ import annotations

import ast
import json
import math
import re
from dataclasses import dataclass, replace

import numpy as np

KINDS = ("noop", "click", "dblclick", "type", "key", "scroll", "drag")
# The named keys forms, lists and text fields need, then every printable ASCII character but the
# space (which is "Space"): the keys of the vector encoding (index 6), and (unless free_text) the
# only keys a string or GuiAction may press.
NAMED_KEYS = ("Enter", "Tab", "Shift+Tab", "Escape", "Backspace", "Delete", "ArrowUp", "ArrowDown", "ArrowLeft",
              "ArrowRight", "Home", "End", "PageUp", "PageDown", "Space", "ControlOrMeta+a")
CHARACTER_KEYS = tuple(chr(c) for c in range(33, 127))
KEYS = NAMED_KEYS + CHARACTER_KEYS
MODIFIERS = ("Alt", "Control", "ControlOrMeta", "Meta", "Shift")
# Key names Playwright's US keyboard layout knows (its codes and named keys; playwright 1.65). Any
# single character is a key too. ``Ctrl``, ``Esc``, ``Return`` are not.
PLAYWRIGHT_KEYS = frozenset(
    ["Escape", "Backquote", "Minus", "Equal", "Backslash", "Backspace", "Tab", "BracketLeft", "BracketRight",
     "CapsLock", "Semicolon", "Quote", "Enter", "ShiftLeft", "ShiftRight", "Comma", "Period", "Slash",
     "ControlLeft", "ControlRight", "MetaLeft", "MetaRight", "AltLeft", "AltRight", "AltGraph", "Space",
     "ContextMenu", "PrintScreen", "ScrollLock", "Pause", "PageUp", "PageDown", "Insert", "Delete", "Home",
     "End", "ArrowLeft", "ArrowUp", "ArrowRight", "ArrowDown", "AudioVolumeMute", "AudioVolumeDown",
     "AudioVolumeUp", "MediaTrackNext", "MediaTrackPrevious", "MediaPlayPause", "NumLock", "NumpadDivide",
     "NumpadMultiply", "NumpadSubtract", "NumpadAdd", "NumpadDecimal", "NumpadEnter", "Clear", *MODIFIERS]
    + [f"F{i}" for i in range(1, 13)] + [f"Digit{i}" for i in range(10)] + [f"Numpad{i}" for i in range(10)]
    + [f"Key{c}" for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"])
_ALIASES = {"press": "key", "double_click": "dblclick", "doubleclick": "dblclick", "none": "noop"}
_POSITIONAL = {"noop": (), "click": ("x", "y"), "dblclick": ("x", "y"), "type": ("text",), "key": ("key",),
               "drag": ("x", "y", "x2", "y2")}


def check_key(key: str) -> str:
    """``key`` if Playwright knows it (``Mod+...+Key``), else ``ValueError`` naming it."""
    if not isinstance(key, str) or not key:
        raise ValueError(f"key must be a non-empty string (a Playwright key name), got {key!r}")
    if key == "+":
        mods, last = [], "+"
    elif key.endswith("++"):  # a modified plus: "Shift++"
        mods, last = key[:-2].split("+"), "+"
    else:
        *mods, last = key.split("+")
    ok = (last in PLAYWRIGHT_KEYS or (len(last) == 1 and last.isprintable())) \
        and all(m in MODIFIERS for m in mods)
    if not ok:
        raise ValueError(f"key {key!r} is not a Playwright key name (modifiers: {', '.join(MODIFIERS)}; "
                         "keys such as Enter, Tab, ArrowDown, KeyA, a)")
    return key


def _coord(name: str, v) -> float | None:
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number in [0, 1], got {v!r}") from None
    if not math.isfinite(f) or not 0.0 <= f <= 1.0:
        raise ValueError(f"{name} must be finite and in [0, 1] (a fraction of the viewport), got {v!r}")
    return f


@dataclass(frozen=True)
class GuiAction:
    """One GUI action; checked when made (``ValueError`` naming the bad value).

    Args:
        kind: one of :data:`KINDS`.
        x, y: where (fractions of the viewport, [0, 1]); ``click``/``dblclick``/``drag`` need them;
            ``scroll`` defaults to the viewport's centre.
        x2, y2: a drag's end point ([0, 1]).
        text: what ``type`` types into the focused element.
        key: what ``key`` presses: a Playwright key name, with ``+``-joined modifiers.
        dx, dy: ``scroll`` amounts in pixels (finite).
    """

    kind: str
    x: float | None = None
    y: float | None = None
    x2: float | None = None
    y2: float | None = None
    text: str | None = None
    key: str | None = None
    dx: float = 0.0
    dy: float = 0.0

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown GUI action kind {self.kind!r}; kinds: {KINDS}")
        for name in ("x", "y", "x2", "y2"):
            object.__setattr__(self, name, _coord(f"{self.kind} {name}", getattr(self, name)))
        for name in ("dx", "dy"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float, np.number)) or not math.isfinite(v):
                raise ValueError(f"scroll {name} must be a finite number of pixels, got {v!r}")
            object.__setattr__(self, name, float(v))
        need = {"click": ("x", "y"), "dblclick": ("x", "y"), "drag": ("x", "y", "x2", "y2")}.get(self.kind, ())
        missing = [n for n in need if getattr(self, n) is None]
        if missing:
            raise ValueError(f"{self.kind} needs {', '.join(need)}; missing {', '.join(missing)}")
        if self.kind == "type" and not isinstance(self.text, str):
            raise ValueError(f"type needs text (a string), got {self.text!r}")
        if self.kind == "key":
            check_key(self.key)
        if self.kind == "scroll" and (self.x is None) != (self.y is None):
            raise ValueError(f"scroll needs both x and y or neither, got x={self.x!r}, y={self.y!r}")


def _literal(node: ast.AST, source: str):
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise ValueError(f"GUI action arguments must be numbers or strings, got {ast.unparse(node)!r} "
                         f"in {source!r}") from None


def _from_fields(fields: dict, source: str) -> GuiAction:
    fields = dict(fields)
    kind = fields.pop("action", fields.pop("kind", None))
    if not isinstance(kind, str):
        raise ValueError(f"a JSON GUI action needs \"action\": one of {KINDS}; got {source!r}")
    kind = _ALIASES.get(kind.lower(), kind.lower())
    unknown = set(fields) - {"x", "y", "x2", "y2", "text", "key", "dx", "dy"}
    if unknown:
        raise ValueError(f"unknown GUI action field(s) {sorted(unknown)} in {source!r}")
    return GuiAction(kind, **fields)


def parse_action(action: str | dict | GuiAction) -> GuiAction:
    """A :class:`GuiAction` from a call string (``'click(0.4, 0.2)'``), a JSON object (string or
    dict: ``{"action": "click", "x": 0.4, "y": 0.2}``) or a :class:`GuiAction` (returned as is).

    Raises:
        ValueError: naming the string, kind, field or value that is wrong.
    """
    if isinstance(action, GuiAction):
        return action
    if isinstance(action, dict):
        return _from_fields(action, json.dumps(action, default=str))
    if not isinstance(action, str):
        raise ValueError(f"a GUI action is a string, a dict or a GuiAction, got {action!r}")
    source = action.strip()
    if source.startswith("{"):
        try:
            fields = json.loads(source)
        except json.JSONDecodeError as err:
            raise ValueError(f"GUI action {source!r} is not valid JSON: {err}") from None
        if not isinstance(fields, dict):
            raise ValueError(f"a JSON GUI action is an object, got {source!r}")
        return _from_fields(fields, source)
    try:
        call = ast.parse(source, mode="eval").body
    except SyntaxError:
        call = None
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
        raise ValueError(f"cannot read GUI action {source!r}; write e.g. click(0.4, 0.2), type(\"hello\"), "
                         f"key(\"Enter\"), scroll(0, 120), drag(0.1, 0.2, 0.8, 0.2) or JSON")
    kind = _ALIASES.get(call.func.id.lower(), call.func.id.lower())
    if kind not in KINDS:
        raise ValueError(f"unknown GUI action kind {call.func.id!r} in {source!r}; kinds: {KINDS}")
    args = [_literal(a, source) for a in call.args]
    names = _POSITIONAL.get(kind) or (("x", "y", "dx", "dy") if len(args) == 4 else ("dx", "dy"))
    if len(args) > len(names):
        raise ValueError(f"{kind} takes at most {len(names)} positional arguments ({', '.join(names)}), "
                         f"got {len(args)} in {source!r}")
    fields = dict(zip(names, args))
    for kw in call.keywords:
        if kw.arg is None or kw.arg in fields:
            raise ValueError(f"argument {kw.arg!r} given twice (or **) in {source!r}")
        fields[kw.arg] = _literal(kw.value, source)
    return _from_fields({"action": kind, **fields}, source)


# --- the flat Box encoding ---------------------------------------------------------------------
def gui_space():
    """The ``Box`` of the vector encoding (see the module doc)."""
    from gymnasium import spaces

    low = np.array([0.0] * 7 + [-1.0, -1.0], np.float32)
    return spaces.Box(low, np.ones(9, np.float32), dtype=np.float32)


_FIELDS = ("kind", "x", "y", "x2", "y2", "text: a vocabulary index", "key: a KEYS index", "scroll dx", "scroll dy")


def _index(v: float, n: int) -> int:
    return min(int(v * n), n - 1)


def decode(vector, vocabulary: tuple[str, ...] | list[str], scroll_px: float = 100.0) -> GuiAction:
    """The :class:`GuiAction` of a vector of :func:`gui_space` (``ValueError`` outside it or NaN)."""
    a = np.asarray(vector, dtype=np.float64)
    if a.shape != (9,):
        raise ValueError(f"gui action vector must have shape (9,), got shape {a.shape}: {vector!r}")
    low = np.array([0.0] * 7 + [-1.0, -1.0])
    bad = [i for i in range(9) if not (np.isfinite(a[i]) and low[i] <= a[i] <= 1.0)]
    if bad:
        i = bad[0]
        raise ValueError(f"gui action vector index {i} ({_FIELDS[i]}) must be finite and in [{low[i]:g}, 1], got "
                         f"{a[i]!r} (vector values must be in [0, 1] (indices 0-6) and [-1, 1] (7-8); got {vector!r})")
    kind = KINDS[_index(a[0], len(KINDS))]
    x, y, x2, y2 = (float(v) for v in a[1:5])
    if kind == "type":
        if not vocabulary:
            return GuiAction("noop")
        return GuiAction("type", text=vocabulary[_index(a[5], len(vocabulary))])
    if kind == "key":
        return GuiAction("key", key=KEYS[_index(a[6], len(KEYS))])
    if kind == "scroll":
        return GuiAction("scroll", x=x, y=y, dx=float(a[7]) * scroll_px, dy=float(a[8]) * scroll_px)
    if kind == "drag":
        return GuiAction("drag", x=x, y=y, x2=x2, y2=y2)
    if kind in ("click", "dblclick"):
        return GuiAction(kind, x=x, y=y)
    return GuiAction("noop")


def encode(action: GuiAction, vocabulary: tuple[str, ...] | list[str], scroll_px: float = 100.0) -> np.ndarray:
    """A vector that :func:`decode` turns back into ``action`` (the middle of each bin); for
    demonstrations. ``ValueError`` if its text is not in ``vocabulary`` or its key not in
    :data:`KEYS`, or a scroll is larger than ``scroll_px``."""
    a = np.zeros(9, np.float32)
    a[0] = (KINDS.index(action.kind) + 0.5) / len(KINDS)
    a[1:5] = [0.5 if v is None else v for v in (action.x, action.y, action.x2, action.y2)]
    if action.kind == "type":
        if action.text not in vocabulary:
            raise ValueError(f"text {action.text!r} is not in the vocabulary {list(vocabulary)[:20]}")
        a[5] = (list(vocabulary).index(action.text) + 0.5) / len(vocabulary)
    if action.kind == "key":
        if action.key not in KEYS:
            raise ValueError(f"key {action.key!r} is not one of the encoded KEYS {KEYS}")
        a[6] = (KEYS.index(action.key) + 0.5) / len(KEYS)
    if action.kind == "scroll":
        if max(abs(action.dx), abs(action.dy)) > scroll_px:
            raise ValueError(f"scroll ({action.dx}, {action.dy}) exceeds scroll_px={scroll_px}")
        a[7:9] = [action.dx / scroll_px, action.dy / scroll_px]
    return a


# --- checking against a task and running in Playwright -----------------------------------------
def check_typing(action: GuiAction, vocabulary, max_text_len: int, free_text: bool = False) -> GuiAction:
    """``action`` if the typing rule (module doc) allows it: a ``type`` of at most ``max_text_len``
    characters that is, unless ``free_text``, one of ``vocabulary``; a ``key`` that is, unless
    ``free_text``, one of :data:`KEYS`. Else ``ValueError`` naming the text or key."""
    if action.kind == "key" and not free_text and action.key not in KEYS:
        raise ValueError(f"key {action.key!r} is not one of the keys an action may press (actions.KEYS: "
                         f"{', '.join(NAMED_KEYS)} and the printable ASCII characters; free_text=True allows any "
                         "Playwright key)")
    if action.kind != "type":
        return action
    if len(action.text) > max_text_len:
        raise ValueError(f"text {action.text[:80]!r} is {len(action.text)} characters long; at most "
                         f"{max_text_len} are allowed (max_text_len)")
    if not free_text and action.text not in vocabulary:
        raise ValueError(f"text {action.text[:80]!r} is not in this episode's vocabulary "
                         f"{list(vocabulary)[:20]} (type it one key at a time, key(\"a\"), ...; free_text=True "
                         "allows any text)")
    return action


def typing_actions(text: str, vocabulary) -> list[GuiAction]:
    """The actions that enter ``text`` under the typing rule without ``free_text``: one ``type``
    if it is in ``vocabulary``, else one ``key`` per character (a space is ``"Space"``).

    >>> [a.key for a in typing_actions("Hi 5", ())]
    ['H', 'i', 'Space', '5']

    Raises:
        ValueError: a character that is no key of :data:`KEYS` (not printable ASCII), naming it.
    """
    if text in vocabulary:
        return [GuiAction("type", text=text)]
    out = []
    for c in text:
        key = "Space" if c == " " else c
        if key not in KEYS:
            raise ValueError(f"character {c!r} of {text[:80]!r} is no key of actions.KEYS (printable ASCII) and "
                             f"the text is not in the vocabulary {list(vocabulary)[:20]}")
        out.append(GuiAction("key", key=key))
    return out


_QUOTED = re.compile(r'"([^"]+)"|\u201c([^\u201d]+)\u201d')


def vocabulary(task_words, instruction: str) -> tuple[str, ...]:
    """What a ``"gui"`` action may type this episode: the task's own list (its ``vocabulary``
    snippet) if it gave one, else the instruction's double-quoted phrases; in order, no repeats.

    >>> vocabulary(None, 'Enter "Kasie" and press "Submit".')
    ('Kasie', 'Submit')
    """
    words = task_words if task_words is not None else [a or b for a, b in _QUOTED.findall(instruction)]
    return tuple(dict.fromkeys(str(w) for w in words))


def pixels(action: GuiAction, viewport: tuple[int, int]) -> list[float] | None:
    """The action's point ``[x, y]`` in pixels (inside the viewport), or ``None`` for a kind
    without one (a scroll without a point scrolls at the viewport's centre)."""
    w, h = viewport
    if action.x is None:
        return [w / 2, h / 2] if action.kind == "scroll" else None
    return [min(action.x * w, w - 0.5), min(action.y * h, h - 0.5)]


def execute(page, action: GuiAction, viewport: tuple[int, int]) -> list[float] | None:
    """Runs ``action`` on a Playwright ``page`` with real input events; returns its point in
    pixels (where the pointer was), or ``None``."""
    at = pixels(action, viewport)
    if action.kind == "click":
        page.mouse.click(*at)
    elif action.kind == "dblclick":
        page.mouse.dblclick(*at)
    elif action.kind == "type":
        page.keyboard.type(action.text)
    elif action.kind == "key":
        page.keyboard.press(action.key)
    elif action.kind == "scroll":
        page.mouse.move(*at)
        page.mouse.wheel(action.dx, action.dy)
    elif action.kind == "drag":
        end = pixels(replace(action, x=action.x2, y=action.y2), viewport)
        page.mouse.move(*at)
        page.mouse.down()
        page.mouse.move(*end, steps=5)
        page.mouse.up()
    return at
