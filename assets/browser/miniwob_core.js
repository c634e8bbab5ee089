// Generic MiniWoB++ helpers and resolvers: window.__rgWob. A plan is the task's next step,
// {kind: 'click'|'type'|'key'|'drag'|'wait', els: [elements], text, key, to}; its els are the
// target boxes. PLANS (miniwob_plans.js) maps a task to a function returning its plan or null.
var W = window.__rgWob = {PLANS: {}};
W.q = function () { var u = core.getUtterance(); return typeof u === 'string' ? u : u.utterance; };
W.quoted = function () { return (W.q().match(/"[^"]*"/g) || []).map(function (s) { return s.slice(1, -1); }); };
// what a "gui" action may type as one string: the instruction's quoted phrases and the values of
// the task's own fields (core.getUtterance().fields, where the task gives them); no repeats
W.words = function () {
  var u = core.getUtterance(), out = W.quoted();
  if (u && typeof u === 'object' && u.fields) for (var k in u.fields) out.push(String(u.fields[k]));
  return out.filter(function (w, i) { return w && out.indexOf(w) === i; });
};
// the part of the page the agent sees (the env's view: the top-left 160x210 of a larger window)
W.view = function () { return window.__rgView || [innerWidth, innerHeight]; };
W.all = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };
W.visible = function (e) {
  if (!e || !e.getBoundingClientRect) return false;
  var r = e.getBoundingClientRect(), s = getComputedStyle(e);
  return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
};
W.text = function (e) { return (e.textContent || e.value || '').replace(/\s+/g, ' ').trim(); };
// visible elements matching sel whose text is exactly `text` (case-insensitive when ci)
W.byText = function (sel, text, ci) {
  var t = ci ? String(text).toLowerCase() : String(text);
  return W.all(sel).filter(function (e) {
    var s = W.text(e); return W.visible(e) && (ci ? s.toLowerCase() : s) === t;
  });
};
W.click = function (e) { return e ? {kind: 'click', els: [e]} : null; };
W.clickAny = function (els) { return els && els.length ? {kind: 'click', els: els} : null; };
// type `text` into input e: click it first unless it has focus; clear it if it holds other text;
// `done(e)` (default: its value is `text`) says the typing is over
W.type = function (e, text, done) {
  if (!e) return null;
  if (done ? done(e) : e.value === text) return null;
  if (document.activeElement !== e) {  // focus it: a click near its left edge (not on a number input's spinner)
    var r = e.getBoundingClientRect();
    return {kind: 'click', els: [e], at: [r.left + Math.min(8, r.width / 4), (r.top + r.bottom) / 2]};
  }
  if (e.value && !e.__rgSelected) { W.remember(e, '__rgSelected', true); return {kind: 'key', els: [e], key: 'ControlOrMeta+a'}; }
  W.remember(e, '__rgSelected', false);
  return {kind: 'type', els: [e], text: text};
};
W.key = function (e, key) { return {kind: 'key', els: e ? [e] : [], key: key}; };
W.drag = function (e, to) { return e && to ? {kind: 'drag', els: [e], to: to} : null; };
W.center = function (e) { var r = e.getBoundingClientRect(); return [(r.left + r.right) / 2, (r.top + r.bottom) / 2]; };
W.submit = function () { return W.click(document.getElementById('subbtn') || W.byText('#area button', 'Submit')[0]); };
// first plan of a list of steps that is not null: plans written as "do a, then b, then submit"
W.first = function () {
  for (var i = 0; i < arguments.length; i++) { var p = typeof arguments[i] === 'function' ? arguments[i]() : arguments[i]; if (p) return p; }
  return null;
};
// fill several inputs in order, then submit: pairs [[input, text], ...]
W.fill = function (pairs, last) {
  for (var i = 0; i < pairs.length; i++) { var p = W.type(pairs[i][0], pairs[i][1], pairs[i][2]); if (p) return p; }
  return last === undefined ? W.submit() : last;
};
// checkbox-like inputs: make `want(label text)` true exactly for the wanted ones, then submit
W.check = function (inputs, want, last) {
  for (var i = 0; i < inputs.length; i++) {
    var e = inputs[i], label = W.text(e.parentNode);
    if (e.checked !== !!want(label, e)) return W.click(e);
  }
  return last === undefined ? W.submit() : last;
};
// the nearest ancestor that scrolls (else the page's scrolling element)
W.scroller = function (e) {
  for (var p = e.parentElement; p && p !== document.body; p = p.parentElement) {
    var s = getComputedStyle(p);
    if (/(auto|scroll)/.test(s.overflowY + s.overflowX) && p.scrollHeight > p.clientHeight + 1) return p;
  }
  return document.scrollingElement;
};
// an element to act on whose middle lies outside the view (or its scrolling box): act on the
// middle of its part in view when at least 6 px of it are; else scroll first, with the wheel over
// the visible part of the scrolling box, by what brings it to the middle
W.reveal = function (p) {
  if (!p || p.kind === 'wait' || p.kind === 'key' || p.kind === 'type' || p.at || !p.els[0]) return p;  // keys go to the focus
  var e = p.els[0], r = e.getBoundingClientRect(), box = W.scroller(e), vw = W.view()[0], vh = W.view()[1];
  var v = box === document.scrollingElement ? {top: 0, bottom: vh, left: 0, right: vw} : box.getBoundingClientRect();
  var top = Math.max(v.top, 0), bottom = Math.min(v.bottom, vh);
  var cy = (r.top + r.bottom) / 2;
  if (cy >= top + 2 && cy <= bottom - 2) return p;
  var left = Math.max(v.left, 0), right = Math.min(v.right, vw);
  var shownTop = Math.max(r.top, top), shownBottom = Math.min(r.bottom, bottom);
  if (shownBottom - shownTop >= 6) {
    p.at = [(Math.max(r.left, left) + Math.min(r.right, right)) / 2, (shownTop + shownBottom) / 2];
    return p;
  }
  var dy = Math.max(-400, Math.min(400, Math.round(cy - (top + bottom) / 2)));
  return {kind: 'scroll', els: box === document.scrollingElement ? [] : [box], dy: dy,
          at: [(left + right) / 2, (top + bottom) / 2]};
};
// Plans are read twice a step (the env's target boxes, the oracle's next action): only the
// oracle's reading (W.acting) may leave a mark that the next plan reads (what it has done).
W.acting = false;
W.remember = function (obj, key, value) { if (W.acting) obj[key] = value; };
W.plan = function (name) {
  if (WOB_DONE_GLOBAL) return null;
  var f = W.PLANS[name];
  return f ? W.reveal(f()) : null;
};
W.targets = function (name) {
  var p = null;
  try { p = W.plan(name); } catch (err) { p = null; }
  return p ? p.els.filter(function (e) { return e; }) : [];
};
// the plan for the Python oracle: element boxes in CSS pixels, drag end as a point
W.planJSON = function (name) {
  var p;
  W.acting = true;
  try { p = W.plan(name); } finally { W.acting = false; }
  if (!p) return null;
  var box = function (e) { var r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  var to = p.to ? (p.to.getBoundingClientRect ? W.center(p.to) : p.to) : null;
  var rects = p.els[0] && !p.at ? p.els[0].getClientRects() : [];
  if (rects.length > 1) {  // an inline element broken over lines: its box's centre may lie on neither line
    var r = Array.prototype.reduce.call(rects, function (a, b) { return b.width * b.height > a.width * a.height ? b : a; });
    p.at = [(r.left + r.right) / 2, (r.top + r.bottom) / 2];
  }
  return {kind: p.kind, boxes: p.els.filter(function (e) { return e; }).map(box), text: p.text || null,
          key: p.key || null, to: to, at: p.at || null, dy: p.dy || 0, w: W.view()[0], h: W.view()[1]};
};
