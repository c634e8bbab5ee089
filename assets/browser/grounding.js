// Grounding episodes on any page (envs/browser/grounding.py runs this once after the page loads).
// setup(seed) picks an element a person can see and click, whose accessible (role, name) pair, as
// Chromium computes them (Element.computedRole / computedName), is unique among the elements seen
// on the page, and returns 'Click the "<name>" <role>.' (the name as a JSON string literal: a " in
// it is written \", a \ is written \\). The first click (mousedown) ends the episode, a success
// when it lands inside that element's box at that moment. Clicks do nothing else here: no link is
// followed, no form submitted.
window.__rgGround = (function () {
  // the computed roles a target may have, and how the instruction says them
  var ROLE_WORDS = {button: 'button', link: 'link', textbox: 'text box', searchbox: 'search box',
    checkbox: 'checkbox', radio: 'radio button', combobox: 'drop-down list', listbox: 'list box',
    tab: 'tab', menuitem: 'menu item', menuitemcheckbox: 'menu item', menuitemradio: 'menu item',
    'switch': 'switch', slider: 'slider', option: 'option', spinbutton: 'number field', treeitem: 'tree item'};
  // where such elements are looked for (the role itself is Chromium's)
  var SELECTOR = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role], [onclick], ' +
    '[tabindex]:not([tabindex="-1"]), [contenteditable=""], [contenteditable="true"]';
  var MIN_SIZE = 3;  // px: smaller boxes are not targets
  var episode = {target: null, clicked: false, success: false};

  function view() { return window.__rgView || [innerWidth, innerHeight]; }
  function clean(t) { return (t || '').replace(/\s+/g, ' ').trim(); }

  // no display:none, visibility:hidden/collapse, opacity:0 or content-visibility:hidden on it or an ancestor
  function rendered(e) {
    return e.checkVisibility({opacityProperty: true, visibilityProperty: true, contentVisibilityAuto: true});
  }

  // r lies wholly inside the padding box of every ancestor that clips it (overflow other than
  // visible), following the containing blocks (an absolutely placed box escapes a static ancestor)
  function unclipped(e, r) {
    var pos = getComputedStyle(e).position;
    for (var p = e.parentElement; p && p !== document.documentElement; p = p.parentElement) {
      if (pos === 'fixed') return true;
      var s = getComputedStyle(p);
      if (pos === 'absolute' && s.position === 'static' && s.transform === 'none') continue;
      if (s.overflowX !== 'visible' || s.overflowY !== 'visible') {
        var b = p.getBoundingClientRect(), bl = b.left + p.clientLeft, bt = b.top + p.clientTop;
        if (r.left < bl - 0.5 || r.top < bt - 0.5 || r.right > bl + p.clientWidth + 0.5 || r.bottom > bt + p.clientHeight + 0.5) return false;
      }
      pos = s.position;
    }
    return true;
  }

  // is e (or what belongs to it: a descendant, its label) the top element at (x, y)?
  function owns(e, x, y) {
    var top = document.elementFromPoint(x, y);
    return !!top && (top === e || e.contains(top) || (!!e.labels && Array.prototype.indexOf.call(e.labels, top) >= 0));
  }

  // how much of e a person sees: 'clear' (rendered, wholly in the view, not clipped, on top at all
  // 9 points of a grid at 20%, 50% and 80% of its width and height: rounded corners are not
  // covers), 'seen' (rendered and on top at some point of that grid) or '' (nothing)
  function sight(e) {
    var r = e.getBoundingClientRect(), v = view();
    if (r.width < 1 || r.height < 1 || r.right <= 0 || r.bottom <= 0 || r.left >= v[0] || r.top >= v[1]) return '';
    if (!rendered(e)) return '';
    var inside = r.left >= 0 && r.top >= 0 && r.right <= v[0] && r.bottom <= v[1];
    var xs = [0.2, 0.5, 0.8].map(function (f) { return r.left + f * r.width; });
    var ys = [0.2, 0.5, 0.8].map(function (f) { return r.top + f * r.height; });
    var hits = 0, tried = 0;
    for (var i = 0; i < 3; i++) for (var j = 0; j < 3; j++) {
      var x = Math.min(Math.max(xs[i], 0), v[0] - 1), y = Math.min(Math.max(ys[j], 0), v[1] - 1);
      tried++;
      if (owns(e, x, y)) hits++;
    }
    if (!hits) return '';
    var big = r.width >= MIN_SIZE && r.height >= MIN_SIZE;
    return inside && big && hits === tried && unclipped(e, r) ? 'clear' : 'seen';
  }

  // Chromium's role and name, kept per element while the page does not change: each read builds
  // Chromium's accessibility objects anew (about 0.7 ms an element here); a DOM change (seen by a
  // MutationObserver; not a style attribute, which Playwright's screenshots set on inputs to hide
  // the caret) empties the cache at the next candidates() call
  var ax = new WeakMap(), changed = false;
  var real = function (rs) { return rs.some(function (r) { return r.attributeName !== 'style'; }); };
  var changes = new MutationObserver(function (rs) { if (real(rs)) changed = true; });
  changes.observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  function described(e) {
    var c = ax.get(e);
    if (!c) { c = {role: e.computedRole || '', name: clean(e.computedName).slice(0, 80)}; ax.set(e, c); }
    return {el: e, role: c.role, name: c.name};
  }

  // [{el, role, name}]: the clear elements with a name that has a letter or digit, whose (role, name)
// no other seen element shares, in DOM order
  function candidates() {
    var seen = [], count = {};
    if (real(changes.takeRecords()) || changed) { ax = new WeakMap(); changed = false; }
    document.querySelectorAll(SELECTOR).forEach(function (e) {
      var how = sight(e);
      if (!how) return;
      var c = described(e);
      if (!ROLE_WORDS[c.role] || !c.name) return;
      c.sayable = /[\p{L}\p{N}]/u.test(c.name);  // a lone icon glyph ("\u2709") is no name to say
      c.key = c.role + '\u0000' + c.name.toLowerCase();
      c.clear = how === 'clear' && !e.disabled && e.getAttribute('aria-disabled') !== 'true';
      count[c.key] = (count[c.key] || 0) + 1;
      seen.push(c);
    });
    return seen.filter(function (c) { return c.clear && c.sayable && count[c.key] === 1; });
  }

  // Clicks are scored, never acted on: no navigation, no submit, no toggling.
  document.addEventListener('mousedown', function (ev) {
    if (episode.clicked || !episode.target || ev.button !== 0) return;
    var r = episode.target.getBoundingClientRect();
    episode.clicked = true;
    episode.success = ev.clientX >= r.left && ev.clientX <= r.right && ev.clientY >= r.top && ev.clientY <= r.bottom;
  }, true);
  document.addEventListener('click', function (ev) { ev.preventDefault(); }, true);
  document.addEventListener('submit', function (ev) { ev.preventDefault(); }, true);

  return {
    candidates: candidates,
    instruction: function (c) { return 'Click the ' + JSON.stringify(c.name) + ' ' + ROLE_WORDS[c.role] + '.'; },
    setup: function (seed) {
      window.scrollTo(0, 0);
      document.querySelectorAll('*').forEach(function (e) { if (e.scrollTop || e.scrollLeft) { e.scrollTop = 0; e.scrollLeft = 0; } });
      if (document.activeElement && document.activeElement.blur) document.activeElement.blur();
      episode = {target: null, clicked: false, success: false};
      if (typeof document.body.computedRole !== 'string') {
        throw new Error('grounding: this Chromium does not give Element.computedRole (launch flag ' +
                        '--enable-blink-features=ComputedAccessibilityInfo)');
      }
      var cs = candidates();
      if (!cs.length) {
        throw new Error('grounding: no visible interactive element with a unique accessible name on ' + location.pathname +
                        ' (a target must be rendered with no hidden or transparent ancestor, wholly in the view, not clipped, ' +
                        'not covered, and have a role and a name)');
      }
      var c = cs[seed % cs.length];
      episode.target = c.el;
      return this.instruction(c);
    },
    targets: function () { return episode.target ? [episode.target] : []; },
    state: function () { return {done: episode.clicked, success: episode.success, reward: episode.success ? 1 : 0}; }
  };
})();
