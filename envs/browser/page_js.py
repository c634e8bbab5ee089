"""The JavaScript the browser env runs in a task page: one page call per reset and per step.

``reset_js`` (seeded setup, ready-page wait, target boxes, vocabulary) and ``after_action_js``
(what an action hit, the task state, target boxes) wrap a :class:`~.tasks.JSTask`'s snippets.

The *view* is the part of the page the agent sees: the top-left ``view`` pixels of the layout
viewport (the whole viewport unless a task lays its page out in a larger window, as MiniWoB++
does). ``window.__rgView = [w, h]`` holds it for the page's scripts; boxes are fractions of it.
"""
from __future__ import annotations

# The target elements (nulls dropped): their boxes as fractions of the view, and their accessible
# role and name as Chromium computes them (Element.computedRole / computedName, switched on by the
# launch flag in session.py; '' where Chromium gives none), read when an element first becomes a
# target in an episode and kept for the episode (window.__rgAx, emptied by each reset): reading
# computedName after an action made the step's screenshot slower (measured, own click-button).
TARGETS_JS = """(els) => { const v = window.__rgView || [innerWidth, innerHeight]; els = els.filter(e => e);
  const ax = window.__rgAx || (window.__rgAx = new WeakMap());
  return {boxes: els.map(e => { const r = e.getBoundingClientRect();
            return [r.left / v[0], r.top / v[1], r.right / v[0], r.bottom / v[1]]; }),
          roles: els.map(e => { let t = ax.get(e);
            if (!t) { t = {role: e.computedRole || '', name: e.computedName || ''}; ax.set(e, t); }
            return t; })}; }"""
ELEMENTS_JS = """() => { const v = window.__rgView || [innerWidth, innerHeight];
  return Array.from(document.querySelectorAll('button, a, input, label, [data-rg-el], .color, .alink'))
  .map(e => { const r = e.getBoundingClientRect(); return {tag: e.tagName.toLowerCase(),
    text: (e.textContent || e.value || '').trim().slice(0, 40),
    box: [r.left / v[0], r.top / v[1], r.right / v[0], r.bottom / v[1]]}; })
  .filter(e => e.box[2] > e.box[0] && e.box[3] > e.box[1] && e.box[2] > 0 && e.box[3] > 0 && e.box[0] < 1 && e.box[1] < 1); }"""


DESCRIBE_JS = """(e) => e && e.tagName ? {tag: e.tagName.toLowerCase(), id: e.id || '',
  text: (e.textContent || '').trim().slice(0, 40)} : null"""


# The first observation of an episode waits for the page to be ready, so that reset(seed=...) is
# reproducible on a cold browser: web fonts loaded, <img> and CSS background images (jQuery UI's
# icon sprites) decoded, CSS animations/transitions and jQuery animations finished (these waits
# together at most 1 s). No animation-frame wait: the screenshot itself waits for a fresh frame
# (two requestAnimationFrame waits cost about 36 ms a reset and changed no pixel).
READY_JS = """async () => {
  const until = performance.now() + 1000;
  const timeout = (ms) => new Promise(r => setTimeout(r, Math.max(0, ms)));
  await Promise.race([document.fonts.ready, timeout(until - performance.now())]);
  const urls = new Set();
  for (const e of document.querySelectorAll('*')) {
    const bg = getComputedStyle(e).backgroundImage;
    if (bg && bg !== 'none') for (const m of bg.matchAll(/url\\(["']?([^"')]+)["']?\\)/g)) urls.add(m[1]);
  }
  const images = Array.from(document.images).filter(i => !i.complete);
  for (const u of urls) { const i = new Image(); i.src = u; images.push(i); }
  await Promise.race([Promise.all(images.map(i => i.decode().catch(() => 0))), timeout(until - performance.now())]);
  const finite = document.getAnimations().filter(a => a.effect && isFinite(a.effect.getComputedTiming().endTime));
  await Promise.race([Promise.all(finite.map(a => a.finished.catch(() => 0))), timeout(until - performance.now())]);
  while (window.jQuery && jQuery.timers && jQuery.timers.length && performance.now() < until) await timeout(10);
}"""


def _targets_js(task, with_elements: bool) -> str:
    """The object fields every page call returns: ``targets`` (boxes and roles of the target
    elements) and ``elements`` (the element list, or ``null``)."""
    return (f"targets: ({TARGETS_JS})(({task.targets})()), "
            f"elements: ({ELEMENTS_JS if with_elements else '() => null'})()")


def reset_js(task, with_elements: bool, view: tuple[int, int]) -> str:
    """One page call for reset: seeded setup, wait until the page is ready (``READY_JS``), then
    the targets (and the element list) and the task's vocabulary (``null`` without one).
    ``view``: the width and height (CSS pixels) of the part of the page the agent sees."""
    vocabulary = task.vocabulary or "() => null"
    return (f"async (seed) => {{ window.__rgHit = null; window.__rgAx = new WeakMap(); "
            f"window.__rgView = [{int(view[0])}, {int(view[1])}]; "
            f"const instruction = await ({task.setup})(seed); "
            f"await ({READY_JS})(); "
            f"return {{instruction: String(instruction), vocabulary: ({vocabulary})(), "
            f"{_targets_js(task, with_elements)}}}; }}")


def after_action_js(task, with_elements: bool) -> str:
    """One page call after an action at ``[x, y]`` (or ``null`` for an action without a point):
    what it hit (the mousedown target recorded by the page's listener, then cleared; a disabled
    control gets no mousedown, so then the element at the point), the task state, the target
    boxes (and the element list)."""
    return (f"(xy) => {{ const hit = xy ? ({DESCRIBE_JS})(window.__rgHit || document.elementFromPoint(xy[0], xy[1])) "
            f": null; window.__rgHit = null; "
            f"return {{hit, state: ({task.state})(), {_targets_js(task, with_elements)}}}; }}")
