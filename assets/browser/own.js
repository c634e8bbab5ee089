// rewardgym's own click tasks. rg.setup(task, seed) builds a seeded layout in #area and
// returns the instruction; every clickable element carries data-rg-el, the correct one(s)
// data-rg-target. The first click on a data-rg-el element ends the episode.
var rg = (function () {
  var rand;
  function mulberry32(a) {
    return function () {
      a |= 0; a = a + 0x6D2B79F5 | 0;
      var t = Math.imul(a ^ a >>> 15, 1 | a);
      t = t + Math.imul(t ^ t >>> 7, 61 | t) ^ t;
      return ((t ^ t >>> 14) >>> 0) / 4294967296;
    };
  }
  function randi(lo, hi) { return lo + Math.floor(rand() * (hi - lo)); }
  function sample(xs) { return xs[randi(0, xs.length)]; }
  function shuffle(xs) { xs = xs.slice(); for (var i = xs.length - 1; i > 0; i--) { var j = randi(0, i + 1); var t = xs[i]; xs[i] = xs[j]; xs[j] = t; } return xs; }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    e.setAttribute('data-rg-el', '1');
    return e;
  }
  var WORDS = ['submit', 'cancel', 'next', 'back', 'save', 'open', 'close', 'delete', 'copy', 'print', 'share', 'help'];
  var COLORS = {red: '#e02020', green: '#20a040', blue: '#2050e0', yellow: '#e0c020', purple: '#9030c0', orange: '#f08020'};
  var SHAPES = ['circle', 'square', 'triangle'];
  var ICONS = {home: '\u2302', star: '\u2605', heart: '\u2665', settings: '\u2699', scissors: '\u2702', pencil: '\u270E', mail: '\u2709', music: '\u266B'};
  var area;

  function place(e, w, h, taken) {  // non-overlapping random position inside #area
    for (var tries = 0; tries < 200; tries++) {
      var x = randi(4, 160 - w - 4), y = randi(4, 166 - h - 4), ok = true;
      for (var i = 0; i < taken.length; i++) {
        var t = taken[i];
        if (x < t[0] + t[2] + 4 && t[0] < x + w + 4 && y < t[1] + t[3] + 4 && t[1] < y + h + 4) { ok = false; break; }
      }
      if (ok) break;
    }
    taken.push([x, y, w, h]);
    e.style.position = 'absolute'; e.style.left = x + 'px'; e.style.top = y + 'px';
  }

  function shape(kind, color, size) {
    var e = el('div', {'class': 'shape', 'data-shape': kind, 'data-color': color});
    if (kind === 'triangle') {
      e.className = 'shape tri';
      e.style.borderLeft = e.style.borderRight = (size / 2) + 'px solid transparent';
      e.style.borderBottom = size + 'px solid ' + COLORS[color];
    } else {
      e.style.width = e.style.height = size + 'px';
      e.style.background = COLORS[color];
      if (kind === 'circle') e.style.borderRadius = '50%';
    }
    return e;
  }

  var TASKS = {
    'click-button': function () {
      var words = shuffle(WORDS).slice(0, randi(3, 6)), target = sample(words), taken = [];
      words.forEach(function (w) {
        var b = el('button', {}, w); if (w === target) b.setAttribute('data-rg-target', '1');
        area.appendChild(b); place(b, 8 + 6 * w.length, 20, taken);
      });
      return 'Click the "' + target + '" button.';
    },
    'click-shape': function () {
      var n = randi(3, 6), taken = [], combos = [];
      var names = Object.keys(COLORS);
      while (combos.length < n) {
        var c = [sample(SHAPES), sample(names)];
        if (!combos.some(function (d) { return d[0] === c[0] && d[1] === c[1]; })) combos.push(c);
      }
      var t = sample(combos);
      combos.forEach(function (c) {
        var size = randi(18, 30), s = shape(c[0], c[1], size);
        if (c === t) s.setAttribute('data-rg-target', '1');
        area.appendChild(s); place(s, size, size, taken);
      });
      return 'Click the ' + t[1] + ' ' + t[0] + '.';
    },
    'click-red': function () {  // fixed instruction: learnable from pixels alone
      var taken = [], n = randi(1, 4);
      var s = shape('square', 'red', 28); s.setAttribute('data-rg-target', '1');
      area.appendChild(s); place(s, 28, 28, taken);
      for (var i = 0; i < n; i++) {
        var d = shape('square', sample(['blue', 'green']), 28); area.appendChild(d); place(d, 28, 28, taken);
      }
      return 'Click the red square.';
    },
    'click-checkbox': function () {
      var words = shuffle(WORDS).slice(0, randi(3, 6)), target = sample(words), top = randi(2, 30);
      words.forEach(function (w, i) {
        var lab = el('label', {}); var box = document.createElement('input'); box.type = 'checkbox';
        lab.appendChild(box); lab.appendChild(document.createTextNode(' ' + w));
        lab.style.position = 'absolute'; lab.style.left = randi(4, 40) + 'px'; lab.style.top = (top + 22 * i) + 'px';
        if (w === target) lab.setAttribute('data-rg-target', '1');
        area.appendChild(lab);
      });
      return 'Tick the checkbox "' + target + '".';
    },
    'click-link': function () {
      var p = document.createElement('p'); p.style.margin = '4px'; p.style.lineHeight = '16px';
      var words = shuffle(WORDS.concat(['lorem', 'ipsum', 'dolor', 'amet', 'elit', 'sed'])), links = [];
      words.slice(0, 14).forEach(function (w, i) {
        if (i % 3 === 1) { var a = el('a', {href: '#'}, w); a.onclick = function (ev) { ev.preventDefault(); }; links.push(a); p.appendChild(a); }
        else p.appendChild(document.createTextNode(w));
        p.appendChild(document.createTextNode(' '));
      });
      var t = sample(links); t.setAttribute('data-rg-target', '1');
      area.appendChild(p);
      return 'Click the link "' + t.textContent + '".';
    },
    'click-icon': function () {
      var names = shuffle(Object.keys(ICONS)).slice(0, randi(4, 7)), target = sample(names);
      var bar = document.createElement('div'); bar.style.position = 'absolute';
      bar.style.left = randi(2, 20) + 'px'; bar.style.top = randi(4, 120) + 'px'; bar.style.background = '#eee';
      names.forEach(function (n) {
        var b = el('button', {'class': 'icon', title: n}, ICONS[n]); if (n === target) b.setAttribute('data-rg-target', '1');
        bar.appendChild(b);
      });
      area.appendChild(bar);
      return 'Click the ' + target + ' icon in the toolbar.';
    },
    'click-scroll-item': function () {
      var list = document.createElement('div'); list.id = 'list'; area.appendChild(list);
      var items = [];
      for (var i = 1; i <= 20; i++) { var it = el('div', {}, 'item ' + i); items.push(it); list.appendChild(it); }
      list.scrollTop = randi(0, 300);
      var visible = items.filter(function (it) {
        return it.offsetTop - list.scrollTop >= 0 && it.offsetTop + it.offsetHeight - list.scrollTop <= list.clientHeight;
      });
      var t = sample(visible); t.setAttribute('data-rg-target', '1');
      return 'Select "' + t.textContent + '" in the list.';
    }
  };

  var state = {clicked: null, done: false, success: false};
  document.addEventListener('click', function (ev) {
    if (state.done) return;
    var hit = ev.target.closest ? ev.target.closest('[data-rg-el]') : null;
    if (!hit) return;
    state.done = true;
    state.success = hit.hasAttribute('data-rg-target');
    state.clicked = hit;
  }, true);

  return {
    tasks: function () { return Object.keys(TASKS); },
    setup: function (task, seed) {
      if (!TASKS[task]) throw new Error('unknown task ' + task);
      rand = mulberry32(seed);
      area = document.getElementById('area'); area.innerHTML = '';
      state.clicked = null; state.done = false; state.success = false;
      var q = TASKS[task]();
      document.getElementById('query').textContent = q;
      return q;
    },
    targets: function () { return Array.prototype.slice.call(document.querySelectorAll('[data-rg-target]')); },
    state: function () { return {done: state.done, success: state.success, reward: state.done ? (state.success ? 1 : -1) : 0}; }
  };
})();
