// Grounding episodes on any page (envs/browser/grounding.py runs this once after the page loads).
// setup(seed) picks a visible interactive element whose (role, accessible name) is unique on the
// page, and returns 'Click the "<name>" <role>.'; the first click (mousedown) ends the episode,
// a success when it lands inside that element's box at that moment. Clicks do nothing else here:
// no link is followed, no form submitted.
window.__rgGround = (function () {
  var ROLE_WORDS = {button: 'button', link: 'link', textbox: 'text box', searchbox: 'search box',
    checkbox: 'checkbox', radio: 'radio button', combobox: 'drop-down list', listbox: 'list box',
    tab: 'tab', menuitem: 'menu item', 'switch': 'switch', slider: 'slider', option: 'option',
    spinbutton: 'number field', treeitem: 'tree item'};
  var SELECTOR = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role], [onclick], ' +
    '[tabindex]:not([tabindex="-1"]), [contenteditable=""], [contenteditable="true"]';
  var NON_WIDGET_ROLES = {presentation: 1, none: 1, main: 1, navigation: 1, banner: 1, contentinfo: 1, region: 1,
    group: 1, list: 1, listitem: 1, heading: 1, img: 1, dialog: 1, form: 1, search: 1, toolbar: 1, tablist: 1,
    menu: 1, menubar: 1, tabpanel: 1, article: 1, complementary: 1, separator: 1, status: 1, alert: 1, table: 1,
    row: 1, cell: 1, grid: 1, tree: 1, document: 1, application: 1, note: 1, figure: 1, tooltip: 1};
  var INPUT_ROLES = {button: 'button', submit: 'button', reset: 'button', image: 'button', checkbox: 'checkbox',
    radio: 'radio', range: 'slider', number: 'spinbutton', search: 'searchbox'};
  var episode = {target: null, clicked: false, success: false};

  function clean(t) { return (t || '').replace(/\s+/g, ' ').trim(); }

  function role(e) {
    var explicit = (e.getAttribute('role') || '').trim().split(/\s+/)[0];
    if (explicit) return explicit;
    var tag = e.tagName.toLowerCase(), type = (e.getAttribute('type') || 'text').toLowerCase();
    if (tag === 'a') return 'link';
    if (tag === 'select') return e.multiple || e.size > 1 ? 'listbox' : 'combobox';
    if (tag === 'textarea' || e.isContentEditable) return 'textbox';
    if (tag === 'input') return INPUT_ROLES[type] || 'textbox';
    return 'button';  // button, summary, and elements made clickable (onclick, tabindex)
  }

  function textOf(node) {  // visible text, with images' alt text
    if (node.nodeType === Node.TEXT_NODE) return node.textContent;
    if (node.nodeType !== Node.ELEMENT_NODE) return '';
    var style = getComputedStyle(node);
    if (style.display === 'none' || style.visibility === 'hidden') return '';
    if (node.tagName === 'IMG') return ' ' + (node.getAttribute('alt') || '') + ' ';
    if (node.tagName === 'SCRIPT' || node.tagName === 'STYLE') return '';
    var out = '';
    for (var c = node.firstChild; c; c = c.nextSibling) out += textOf(c);
    return /^(DIV|P|LI|BR|TD|TH|H[1-6])$/.test(node.tagName) ? ' ' + out + ' ' : out;
  }

  function name(e) {  // the accessible name, in the usual order of sources
    var label = clean(e.getAttribute('aria-label'));
    if (label) return label;
    var ids = e.getAttribute('aria-labelledby');
    if (ids) {
      label = clean(ids.split(/\s+/).map(function (i) {
        var l = document.getElementById(i); return l ? textOf(l) : ''; }).join(' '));
      if (label) return label;
    }
    var tag = e.tagName.toLowerCase(), type = (e.getAttribute('type') || '').toLowerCase();
    if (e.labels && e.labels.length) {
      label = clean(Array.prototype.map.call(e.labels, textOf).join(' '));
      if (label) return label;
    }
    if (tag === 'input' && /^(button|submit|reset)$/.test(type) && clean(e.value)) return clean(e.value);
    if (tag === 'input' && type === 'image' && clean(e.getAttribute('alt'))) return clean(e.getAttribute('alt'));
    if (!/^(input|textarea|select)$/.test(tag)) {
      label = clean(textOf(e));
      if (/[\p{L}\p{N}]/u.test(label)) return label;  // a lone icon glyph names nothing: title, placeholder
    }
    return clean(e.getAttribute('title')) || clean(e.getAttribute('placeholder'));
  }

  function visible(e) {  // wholly inside the viewport, not hidden, not covered at its centre
    var r = e.getBoundingClientRect();
    if (r.width < 3 || r.height < 3 || r.left < 0 || r.top < 0 || r.right > innerWidth || r.bottom > innerHeight) return false;
    var style = getComputedStyle(e);
    if (style.visibility !== 'visible' || Number(style.opacity) === 0 || e.disabled) return false;
    var top = document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2);
    return !!top && (top === e || e.contains(top) || (e.labels && Array.prototype.indexOf.call(e.labels, top) >= 0));
  }

  function candidates() {  // [{el, role, name}] with a (role, name) pair unique on the page, DOM order
    var all = [], count = {};
    document.querySelectorAll(SELECTOR).forEach(function (e) {
      var r = role(e);
      if (NON_WIDGET_ROLES[r] || !visible(e)) return;
      var n = name(e).slice(0, 80);
      if (!n) return;
      var key = r + '\u0000' + n.toLowerCase();
      count[key] = (count[key] || 0) + 1;
      all.push({el: e, role: r, name: n, key: key});
    });
    return all.filter(function (c) { return count[c.key] === 1; });
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
    setup: function (seed) {
      window.scrollTo(0, 0);
      document.querySelectorAll('*').forEach(function (e) { if (e.scrollTop || e.scrollLeft) { e.scrollTop = 0; e.scrollLeft = 0; } });
      if (document.activeElement && document.activeElement.blur) document.activeElement.blur();
      var cs = candidates();
      if (!cs.length) throw new Error('grounding: no visible interactive element with a unique accessible name on ' + location.pathname);
      var c = cs[seed % cs.length];
      episode = {target: c.el, clicked: false, success: false};
      return 'Click the "' + c.name + '" ' + (ROLE_WORDS[c.role] || c.role) + '.';
    },
    targets: function () { return episode.target ? [episode.target] : []; },
    state: function () { return {done: episode.clicked, success: episode.success, reward: episode.success ? 1 : 0}; }
  };
})();
