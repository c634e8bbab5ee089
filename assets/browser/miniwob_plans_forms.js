// Per-task plans for MiniWoB++, second part (see miniwob_plans.js): typing, forms, dragging,
// sliders, scrolling and selecting text.
(function (W) {
  var P = W.PLANS, $id = function (id) { return document.getElementById(id); };

  // --- type what the instruction or the page says, then submit
  var typeThenSubmit = function (input, text) { return function () { return W.fill([[input(), text()]]); }; };
  var byId = function (id) { return function () { return $id(id); }; };
  var quoted0 = function () { return W.quoted()[0]; };
  P['enter-text'] = typeThenSubmit(byId('tt'), quoted0);
  P['enter-text-dynamic'] = typeThenSubmit(byId('tt'), quoted0);
  P['enter-text-2'] = typeThenSubmit(byId('tt'), function () {
    var t = W.quoted()[0]; return / upper case /.test(W.q()) ? t.toUpperCase() : t.toLowerCase();
  });
  P['enter-password'] = function () { var t = W.quoted()[0]; return W.fill([[$id('password'), t], [$id('verify'), t]]); };
  P['login-user'] = function () { var t = W.quoted(); return W.fill([[$id('username'), t[0]], [$id('password'), t[1]]]); };
  P['find-word'] = typeThenSubmit(byId('answer-input'), function () {
    var n = +W.q().match(/the (\d+)\w\w word/)[1];
    return W.text(document.querySelector('#area p')).split(/\s+/)[n - 1].replace(/[^a-zA-Z0-9]/g, '');
  });
  P['read-table'] = typeThenSubmit(byId('tt'), function () {
    var key = W.q().match(/value of (.+) into/)[1];
    var row = W.all('#tab tr').filter(function (r) { return W.text(r.cells[0]) === key; })[0];
    return W.text(row.cells[1]);
  });
  var solve = function () {
    var m = W.text($id('math-problem')).match(/^(-?\d+|x) ([-+*x\/\u00d7\u00f7]) (-?\d+|x) =\s*(-?\d+|x)?/), a = m[1], op = m[2], b = m[3], c = m[4];
    var f = {'+': function (x, y) { return x + y; }, '-': function (x, y) { return x - y; }, 'x': function (x, y) { return x * y; },
             '*': function (x, y) { return x * y; }, '/': function (x, y) { return x / y; },
             '\u00d7': function (x, y) { return x * y; }, '\u00f7': function (x, y) { return x / y; }};
    if (!c) return String(f[op](+a, +b));
    // a op x = c or x op b = c: try the integers (the task's answers are small)
    for (var x = -1000; x <= 1000; x++) {
      var l = f[op](a === 'x' ? x : +a, b === 'x' ? x : +b);
      if (Math.abs(l - +c) < 1e-9) return String(x);
    }
    return null;
  };
  P['simple-arithmetic'] = typeThenSubmit(byId('math-answer'), solve);
  P['simple-algebra'] = typeThenSubmit(byId('math-answer'), solve);
  P['visual-addition'] = typeThenSubmit(byId('math-answer'), function () { return String(W.all('#math-problem .addition-block').length); });
  P['text-transform'] = typeThenSubmit(byId('tt'), function () { return W.text($id('captcha')).replace(/\s/g, ''); });
  P['copy-paste'] = typeThenSubmit(byId('answer-input'), function () { return $id('to-copy').value; });
  P['copy-paste-2'] = typeThenSubmit(byId('answer-input'), function () { return $id('text-' + W.q().match(/the (\d)\w\w text/)[1]).value; });
  P['scroll-text'] = typeThenSubmit(byId('answer-input'), function () {
    var words = $id('text-area').value.trim().split(/\s+/); return words[words.length - 1].replace(/[^a-zA-Z0-9]/g, '');
  });
  P['enter-date'] = function () {
    var d = W.q().match(/Enter (\d\d)\/(\d\d)\/(\d{4})/), want = d[3] + '-' + d[1] + '-' + d[2];
    var p = W.fill([[$id('tt'), d[1] + d[2] + d[3], function (e) { return e.value === want; }]]);
    if (p && p.kind === 'click' && p.els[0] === $id('tt')) p.at = [$id('tt').getBoundingClientRect().left + 8, W.center($id('tt'))[1]];
    return p;  // the click lands on the month field, where typing starts
  };
  P['enter-time'] = function () {
    var t = W.q().match(/Enter (\d+):(\d\d) (AM|PM)/), h = +t[1] % 12 + (t[3] === 'PM' ? 12 : 0);
    var want = (h < 10 ? '0' : '') + h + ':' + t[2];
    return W.fill([[$id('tt'), (+t[1] < 10 ? '0' : '') + t[1] + t[2] + t[3], function (e) { return e.value === want; }]]);
  };

  // --- forms: lists, dropdowns, autocomplete, search, several fields
  var selectOption = function (sel, want) {  // a native <select>: focus it, then type the option's name
    if (sel.value === want) return null;
    // a click opens the list's popup: close it with Escape (focus stays), then type the option's name
    if (document.activeElement !== sel) { W.remember(sel, '__rgOpen', true); return W.click(sel); }
    if (sel.__rgOpen) { W.remember(sel, '__rgOpen', false); return W.key(sel, 'Escape'); }
    return {kind: 'type', els: [sel], text: want};
  };
  P['choose-list'] = function () {
    return selectOption($id('options'), W.q().match(/^Select (.+) from the list/)[1]) || W.click(document.querySelector('#area button'));
  };
  P['form-sequence-3'] = function () {
    var want = W.q().match(/^Choose (.+) from the dropdown/)[1], label = W.text(document.querySelector('.selectric .label'));
    if (label !== want) {
      var item = W.all('.selectric-items li').filter(function (li) { return W.text(li) === want; })[0];
      return W.click(W.visible(item) ? item : document.querySelector('.selectric'));
    }
    return W.clickAny(W.byText('#area button', W.quoted()[0]));
  };
  P['use-autocomplete'] = P['use-autocomplete-nodelay'] = function () {
    var q = W.quoted(), input = $id('tags'), v = input.value;
    var fits = function (t) { return t.indexOf(q[0]) === 0 && (q.length < 2 || t.slice(-q[1].length) === q[1]); };
    if (v && fits(v)) return W.click($id('subbtn'));
    var item = W.all('.ui-autocomplete .ui-menu-item-wrapper').filter(function (e) { return W.visible(e) && fits(W.text(e)); })[0];
    if (item) return W.click(item);
    if (v === q[0]) return {kind: 'wait', els: [input]};
    return W.type(input, q[0]);
  };
  P['search-engine'] = function () {
    var term = W.quoted()[0], n = +W.q().match(/the (\d+)\w\w search result/)[1] - 1;
    var input = $id('search-text'), links = W.all('#page-content a');
    if (input.value !== term || !links.length) return W.fill([[input, term]], W.click($id('search')));
    var hit = W.all('#page-content a[data-result="' + n + '"]')[0];
    return W.click(hit || W.byText('#pagination a', String(Math.floor(n / 3) + 1))[0]);
  };
  P['phone-book'] = function () {
    var m = W.q().match(/^Find (.+) in the contact book and click on their (\w+)/), card = $id('contact');
    if (W.text(card.querySelector('.name')) === m[1]) return W.click(card.querySelector('a.' + m[2]));
    return W.click(W.byText('#pagination a', '>')[0]);
  };
  var movieForm = function () {  // each field's label is the nearest text naming genre, director or year
    var m = W.q().match(/^Search for (\S+) movies directed by (.+) from year (\d+)\.$/), want = {genre: m[1], director: m[2], year: m[3]};
    var keyOf = function (t) { t = t.toLowerCase(); return ['genre', 'director', 'year'].filter(function (k) { return t.indexOf(k) !== -1; })[0] || (/date|released/.test(t) ? 'year' : undefined); };
    var labels = W.all('#area *').filter(function (e) { return !e.children.length && W.visible(e) && keyOf(W.text(e)) && W.text(e).length < 30; });
    var dist = function (a, b) { var p = W.center(a), q = W.center(b); return Math.hypot(p[0] - q[0], p[1] - q[1]); };
    var pairs = W.all('#area input[type=text]').filter(W.visible).map(function (input) {
      var k = keyOf(input.placeholder || '') || keyOf(W.text(labels.reduce(function (a, l) { return dist(l, input) < dist(a, input) ? l : a; })));
      return [input, want[k]];
    });
    var submit = W.all('#area *').filter(function (e) { return !e.children.length && W.visible(e) && /^(submit|search|go!?)$/i.test(W.text(e)); })[0];
    return W.fill(pairs, W.click(submit || document.querySelector('#area button')));
  };
  P['multi-layouts'] = P['multi-orderings'] = movieForm;
  P['form-sequence-2'] = function () {
    var m = W.q().match(/the (\d)\w\w radio button and enter the number "(\d+)" into the (\d)\w\w textbox/);
    var radio = W.all('#area input[type=radio]')[+m[1] - 1];
    return radio.checked ? W.fill([[$id('input-' + m[3]), m[2]]]) : W.click(radio);
  };
  P['guess-number'] = function () {  // bisection: the feedback names the last guess
    var g = W.guess && W.guess.ep === WOB_EPISODE_ID ? W.guess : {ep: WOB_EPISODE_ID, lo: 0, hi: 9, seen: ''};
    var lower = W.visible($id('lower')), higher = W.visible($id('higher'));
    var shown = lower ? $id('lower') : higher ? $id('higher') : null, said = shown ? W.text(shown) : '';
    if (said && said !== g.seen) {
      var last = +shown.querySelector('span').textContent;
      g = {ep: g.ep, lo: higher ? Math.max(g.lo, last + 1) : g.lo, hi: lower ? Math.min(g.hi, last - 1) : g.hi, seen: said};
    }
    W.remember(W, 'guess', g);
    var guess = String(Math.floor((g.lo + g.hi) / 2));
    return W.type($id('tt'), guess) || (said && $id('tt').value === String(+said.match(/-?\d+/)[0]) ? null : W.click($id('subbtn')));
  };
  P['terminal'] = function () {
    var ext = W.q().match(/extension \.(\w+)/), files = currentFiles.filter(function (f) {
      return ext ? f.slice(-(ext[1].length + 1)) === '.' + ext[1] : f.indexOf('.') === -1;
    });
    var cmd = 'rm ' + files[0], typed = W.text($id('active-input')), target = $id('terminal-target');
    if (typed === cmd) return W.key(target, 'Enter');
    if (document.activeElement !== target) return W.click($id('terminal'));
    return typed ? W.key(target, 'Backspace') : {kind: 'type', els: [target], text: cmd};
  };

  // --- drag, slide, scroll, select text
  var STEP = {up: [0, -1], down: [0, 1], left: [-1, 0], right: [1, 0]};
  var dragOnce = function (sel) {  // drag the shape 25 px in the asked direction (once), then submit
    return function () {
      var shape = document.querySelector(sel), d = STEP[W.q().match(/Drag the \w+ (\w+)/)[1]];
      if (shape.__rgDragged) return W.submit();
      W.remember(shape, '__rgDragged', true);
      var c = W.center(shape);
      return W.drag(shape, [c[0] + 25 * d[0], c[1] + 25 * d[1]]);
    };
  };
  P['drag-single-shape'] = dragOnce('#area svg > *');
  P['drag-circle'] = dragOnce('#area circle');
  P['drag-box'] = function () {
    var small = $id('draggableSmall'), large = $id('draggableLarge'), s = small.getBoundingClientRect(), l = large.getBoundingClientRect();
    if (s.left >= l.left && s.right <= l.right && s.top >= l.top && s.bottom <= l.bottom) return W.submit();
    return W.drag(small, W.center(large));
  };
  var moveItem = function (item, to) {  // drag a sortable item onto the place of item `to`
    var a = W.center(item), b = to.getBoundingClientRect(), down = b.top > item.getBoundingClientRect().top;
    return W.drag(item, [a[0], down ? b.bottom - 2 : b.top + 2]);
  };
  P['drag-items'] = function () {
    var m = W.q().match(/^Drag (.+?) (to the top|to the bottom|down by one|up by one|to the (\d)\w\w position)/);
    var items = W.all('#sortable li'), item = items.filter(function (li) { return W.text(li) === m[1]; })[0], ix = items.indexOf(item);
    var to = m[3] ? +m[3] - 1 : {'to the top': 0, 'to the bottom': items.length - 1, 'down by one': ix + 1, 'up by one': ix - 1}[m[2]];
    return moveItem(item, items[to]);
  };
  P['drag-sort-numbers'] = function () {
    var items = W.all('#sortable li'), val = function (li) { return +W.text(li); };
    for (var i = 0; i < items.length; i++) {
      var rest = items.slice(i), min = rest.reduce(function (a, li) { return val(li) < val(a) ? li : a; });
      if (min !== items[i]) return moveItem(min, items[i]);
    }
    return W.submit();
  };
  var slide = function (handle, output, want) {  // focus the handle, then arrow keys
    var v = +W.text(output);
    if (v === want) return null;
    var track = handle.parentNode, o = jQuery(track).slider('option'), r = track.getBoundingClientRect();
    if (Math.abs(v - want) > 3) {  // far: click the track where the value lies; near: arrow keys
      var f = (want - o.min) / (o.max - o.min);
      if (o.orientation === 'vertical') {  // a vertical slider grows upwards
        return {kind: 'click', els: [track], at: [(r.left + r.right) / 2, Math.max(r.top + 1, Math.min(r.bottom - 1, r.bottom - f * r.height))]};
      }
      return {kind: 'click', els: [track], at: [Math.max(r.left + 1, Math.min(r.right - 1, r.left + f * r.width)), (r.top + r.bottom) / 2]};
    }
    if (document.activeElement !== handle) return W.click(handle);
    return W.key(handle, v < want ? 'ArrowRight' : 'ArrowLeft');
  };
  P['use-slider'] = function () {
    return slide(document.querySelector('#slider .ui-slider-handle'), $id('val'), +W.q().match(/Select (-?\d+)/)[1]) || W.submit();
  };
  P['use-slider-2'] = function () {
    var want = JSON.parse(W.q().match(/(\[[-\d,]+\])/)[1]);
    for (var i = 0; i < want.length; i++) {
      var p = slide(document.querySelector('#slider-' + (i + 1) + ' .ui-slider-handle'), $id('val-' + (i + 1)), want[i]);
      if (p) return p;
    }
    return W.submit();
  };
  P['scroll-text-2'] = function () {
    var t = $id('text-area'), bottom = /bottom/.test(W.q());
    var at = bottom ? t.scrollTop + t.clientHeight >= t.scrollHeight - 2 : t.scrollTop <= 0;
    if (at) return W.submit();
    var c = W.center(t);
    return {kind: 'scroll', els: [t], at: c, dy: bottom ? 400 : -400};
  };
  var highlight = function (el) {  // drag from the text's first character to past its last
    if (window.getSelection().toString().replace(/\s/g, '') === W.text(el).replace(/\s/g, '')) return W.submit();
    var range = document.createRange(); range.selectNodeContents(el);
    var rects = range.getClientRects(), a = rects[0], b = rects[rects.length - 1];
    return {kind: 'drag', els: [el], at: [a.left + 0.5, (a.top + a.bottom) / 2], to: [Math.min(b.right + 3, W.view()[0] - 1), (b.top + b.bottom) / 2]};
  };
  P['highlight-text'] = function () { return highlight($id('randomText')); };
  P['highlight-text-2'] = function () {
    var n = {first: 0, second: 1, third: 2, '1st': 0, '2nd': 1, '3rd': 2}[W.q().match(/in the (\w+) paragraph/)[1]];
    return highlight(W.all('#area p')[n]);
  };
  P['resize-textarea'] = function () {
    var m = W.q().match(/the (\w+) is (\w+) than/), t = $id('tt');
    if (t.__rgResized) return W.click($id('submit'));
    W.remember(t, '__rgResized', true);
    var r = t.getBoundingClientRect(), d = m[2] === 'larger' ? 20 : -15;
    var from = [r.right - 3, r.bottom - 3];
    return {kind: 'drag', els: [t], at: from, to: [from[0] + (m[1] === 'width' ? d : 0), from[1] + (m[1] === 'height' ? d : 0)]};
  };
  P['identify-shape'] = function () {
    var shape = document.querySelector('#area_svg > *'), tag = shape.tagName.toLowerCase(), type;
    if (tag === 'text') type = /\d/.test(shape.textContent) ? 'digit' : 'letter';
    else type = {rect: 'rectangle', circle: 'circle', polygon: 'triangle'}[tag];
    return W.click(document.querySelector('#area-buttons button[data-type="' + type + '"]'));
  };

  // --- more forms
  P['read-table-2'] = function () {
    var value = function (key) { return W.text(W.all('#tab tr').filter(function (r) { return W.text(r.cells[0]) === key; })[0].cells[1]); };
    return W.fill(W.all('#form label[data-key]').map(function (l) { return [l.parentNode.querySelector('input'), value(l.getAttribute('data-key'))]; }));
  };
  P['login-user-popup'] = function () {
    if (W.visible($id('popup'))) return W.click($id('popup-cancel'));  // OK on the popup fails the task
    var t = W.quoted(); return W.fill([[$id('username'), t[0]], [$id('password'), t[1]]]);
  };
  P['form-sequence'] = function () {
    var m = W.q().match(/Select (-?\d+) with the slider, click the (\d)\w\w checkbox/), box = $id('checkbox-' + m[2]);
    return slide(document.querySelector('#slider .ui-slider-handle'), $id('val'), +m[1]) || (box.checked ? W.submit() : W.click(box));
  };
  P['sign-agreement'] = function () {
    var t = $id('text-area'), name = $id('name'), q = W.quoted();
    if (name.disabled) return {kind: 'scroll', els: [t], at: W.center(t), dy: 400};  // the form opens at the end of the text
    if (!q.length) return W.click($id('cancel'));  // "Click the cancel button."
    return W.fill([[name, q[0]]], W.clickAny(W.byText('#area button', q[1])));
  };

})(window.__rgWob);
