// Per-task plans for MiniWoB++ (see miniwob_core.js): each reads the task's own state (the
// instruction and the generated page) and returns the next step. Where a task follows a
// common shape (the quoted field names the element to click; a list of names to check),
// its plan is one call of a generic helper of miniwob_core.js.
(function (W) {
  var P = W.PLANS, $id = function (id) { return document.getElementById(id); };
  var ORD = {'1st': 0, '2nd': 1, '3rd': 2, '4th': 3, '5th': 4, 'first': 0, 'second': 1, 'third': 2};
  var quotedClick = function (sel) { return function () { return W.clickAny(W.byText(sel, W.quoted()[0])); }; };
  var busy = function () { return window.jQuery && jQuery.timers && jQuery.timers.length ? {kind: 'wait', els: []} : null; };

  // --- one click: the quoted field (or a word of the instruction) names the element
  P['click-test'] = function () { return W.click($id('subbtn')); };
  P['click-test-2'] = function () { return W.clickAny(W.byText('#area button', 'ONE')); };
  P['click-test-transfer'] = function () { return W.clickAny(W.byText('#area button', W.q().match(/button (\w+)/)[1])); };
  P['click-button'] = quotedClick('#area button');
  P['unicode-test'] = quotedClick('#area button');
  P['click-link'] = quotedClick('#area .alink');
  P['click-dialog-2'] = function () {
    var t = W.quoted()[0];
    return t === 'x' ? W.click(document.querySelector('.ui-dialog-titlebar button')) : W.clickAny(W.byText('.ui-dialog-buttonset button', t));
  };
  P['click-widget'] = function () { return W.clickAny(W.all('#area [data-type="' + W.quoted()[0] + '"]')); };
  P['focus-text'] = function () { return W.click($id('tt')); };
  P['focus-text-2'] = function () { return W.click(W.all('#area input')[ORD[W.q().match(/the (\w+) input/)[1]]]); };
  P['grid-coordinate'] = function () { return W.click($id(W.q().match(/\(-?\d+,-?\d+\)/)[0])); };
  P['click-color'] = function () {
    var bold = document.querySelector('#query .bold');
    var want = bold ? null : getComputedStyle($id('query-color')).backgroundColor;
    return W.clickAny(W.all('#area .color').filter(function (b) {
      return bold ? bold.textContent.indexOf(b.getAttribute('data-color')) !== -1 : getComputedStyle(b).backgroundColor === want;
    }));
  };
  P['click-tab'] = function () { return W.clickAny(W.all('#area ul a[href="#tabs-' + W.q().match(/Tab #(\d)/)[1] + '"]')); };
  P['click-button-sequence'] = function () { return W.clickAny(W.byText('#area button', buttonsPushed.length ? 'TWO' : 'ONE')); };

  // --- select from a list, then submit
  var listed = function () {
    var m = W.q().match(/^Select (.*) and click Submit\.$/);
    return m[1] === 'nothing' ? [] : m[1].split(', ');
  };
  var checkListed = function () { var names = listed(); return W.check(W.all('#area input'), function (l) { return names.indexOf(l) !== -1; }); };
  P['click-checkboxes'] = checkListed;
  P['click-checkboxes-large'] = checkListed;
  P['click-checkboxes-transfer'] = checkListed;
  P['click-option'] = checkListed;
  P['click-shades'] = function () {
    var color = W.q().match(/shades of (\w+)/)[1];
    var wrong = W.all('#area span').filter(function (s) { return (s.getAttribute('data-color') === color) !== (s.className === 'selected'); });
    return wrong.length ? W.click(wrong[0]) : W.click(document.querySelector('#area button'));
  };
  P['find-greatest'] = function () {
    var cards = W.all('#cardholder .card'), val = function (c) { return +W.text(c); };
    var best = cards.reduce(function (a, c) { return val(c) > val(a) ? c : a; });
    return best.classList.contains('hidden') ? W.click(best) : W.click($id('submit'));
  };

  // --- expand, then click (accordions, tabs, menus, trees)
  var collapsedHeader = function (el) {  // header of the accordion section holding el, if closed
    var panel = el.closest('.ui-accordion-content');
    return panel && !W.visible(panel) ? $id(panel.getAttribute('aria-labelledby')) : null;
  };
  var expandThenClick = function () {
    var b = busy(); if (b) return b;
    var link = W.all('#area .alink').filter(function (e) { return W.text(e) === W.quoted()[0]; })[0];
    return W.click(collapsedHeader(link) || link);
  };
  P['click-collapsible-2'] = expandThenClick;
  P['click-collapsible-2-nodelay'] = expandThenClick;
  var expandThenSubmit = function () {
    var b = busy(); if (b) return b;
    var panel = document.querySelector('#area .ui-accordion-content');
    return W.click(W.visible(panel) ? $id('subbtn') : $id(panel.getAttribute('aria-labelledby')));
  };
  P['click-collapsible'] = expandThenSubmit;
  P['click-collapsible-nodelay'] = expandThenSubmit;
  var tabThenClick = function () {
    var link = W.all('#area .alink').filter(function (e) { return W.text(e) === W.quoted()[0]; })[0];
    if (!link) return W.click(document.getElementsByClassName('ui-tab')[1]);  // -medium: the link was in the emptied tab 2
    var panel = link.closest('[role=tabpanel]');
    return W.click(W.visible(link) ? link : document.querySelector('#area a[href="#' + panel.id + '"]'));
  };
  P['click-tab-2'] = tabThenClick;
  P['click-tab-2-easy'] = tabThenClick;
  P['click-tab-2-medium'] = tabThenClick;
  P['click-tab-2-hard'] = tabThenClick;
  P['click-menu'] = function () {
    var path = W.q().replace(/^Select /, '').split('>'), items = W.all('#menu .ui-menu-item-wrapper');
    for (var i = 0; i < path.length; i++) {
      var it = items.filter(function (e) { return W.visible(e) && e.firstChild && W.text(e) === path[i]; })[0]
        || items.filter(function (e) { return W.visible(e) && e.childNodes[e.childNodes.length - 1].textContent.trim() === path[i]; })[0];
      if (!it) return null;
      var sub = it.parentNode.querySelector('ul');
      if (i === path.length - 1) return W.click(it);
      // a submenu opens when the pointer rests on its item: a scroll of 0 px there moves the pointer
      if (sub && !W.visible(sub)) return {kind: 'scroll', els: [it], at: W.center(it), dy: 0};
    }
    return null;
  };
  P['click-menu-2'] = function () {
    var b = busy(); if (b) return b;
    var menu = $id('menu');
    if (!W.visible(menu)) return W.click($id('open-menu'));
    var label = W.quoted()[1], icon = document.querySelector('#query .ui-icon');
    var items = W.all('#menu .ui-menu-item-wrapper').filter(function (e) {
      var own = e.querySelector(':scope > .ui-icon:not(.ui-menu-icon)');
      return label ? e.lastChild.textContent.trim() === label : own && icon && own.className === icon.className;
    });
    var it = items[0]; if (!it) return null;
    var sub = it.closest('ul');
    if (!W.visible(it) && sub && sub.id !== 'menu') {  // open the parent item of its submenu
      return W.click(sub.parentNode.querySelector(':scope > .ui-menu-item-wrapper'));
    }
    return W.click(it);
  };
  P['navigate-tree'] = function () {
    var node = W.all('#tree span').filter(function (e) { return W.text(e) === W.quoted()[0]; })[0];
    var up = [], li = node.parentNode.parentNode.closest('li');
    while (li) { up.unshift(li); li = li.parentNode.closest('li'); }
    for (var i = 0; i < up.length; i++) {
      if (!W.visible(up[i].querySelector(':scope > ul'))) return W.click(up[i].querySelector(':scope > span'));
    }
    return W.click(node);
  };

  // --- email and social media: find the item by its sender / user, then its control
  var thread = function (who) { return W.all('.email-thread').filter(function (t) { return W.text(t.querySelector('.email-sender')) === who; })[0]; };
    var CONTROL = {'Reply': '.reply', 'Retweet': '.retweet', 'Like': '.like', 'Share': '.share'};
  var posts = function (user) { return W.all('#area .media').filter(function (m) { return W.text(m.querySelector('.username')) === user; }); };
  var control = function (post, label) {
    if (CONTROL[label]) return W.click(post.querySelector(CONTROL[label]));
    var item = W.all('li', post).filter(function (li) { return W.text(li) === label; })[0];
    return W.click(W.visible(item) ? item : post.querySelector('.more'));
  };
  P['social-media'] = function () { return control(posts(W.q().match(/user (@\S+),/)[1])[0], W.quoted()[0]); };
  var likeSome = function () {
    var label = W.quoted()[0], m = W.q().match(/on (all|\d+) posts? by (@\S+) and/), ps = posts(m[2]);
    var need = m[1] === 'all' ? ps.length : +m[1], sel = CONTROL[label];
    var done = ps.filter(function (p) { return p.querySelector(sel).classList.contains('active'); });
    if (done.length >= need) return W.click(W.byText('#area button', 'Submit')[0]);
    return W.click(ps.filter(function (p) { return done.indexOf(p) === -1; })[0].querySelector(sel));
  };
  P['social-media-all'] = likeSome;
  P['social-media-some'] = likeSome;

  // --- read a value off the page, then click
  var WAIT = {kind: 'wait', els: []};
  P['buy-ticket'] = function () {
    var want = W.q().match(/with the (.+)\.$/)[1], flights = W.all('#area .flight');
    var dur = function (f) { return +f.querySelector('.time-duration').getAttribute('data-duration'); };
    var price = function (f) { return +f.querySelector('.buy-ticket').getAttribute('data-price'); };
    var key = {'longest duration': function (f) { return -dur(f); }, 'shortest duration': dur,
               'cheapest cost': price, 'most expensive cost': function (f) { return -price(f); }}[want];
    var best = flights.reduce(function (a, f) { return key(f) < key(a) ? f : a; });
    return W.click(best.querySelector('.buy-ticket'));
  };
  P['generate-number'] = function () {
    var shown = W.text($id('display-number')), n = +shown, q = W.q(), m;
    var ok = shown !== '-' && ((m = q.match(/less than (\d+)/)) ? n < +m[1] : (m = q.match(/greater than (\d+)/)) ? n > +m[1]
      : /odd/.test(q) ? Math.abs(n % 2) === 1 : n % 2 === 0);
    return W.click($id(ok ? 'submit' : 'generate'));
  };
  P['odd-or-even'] = function () {
    var rows = W.all('#numbers .row');
    for (var i = 0; i < rows.length; i++) {
      var n = +W.text(rows[i].querySelector('.display-number')), b = rows[i].querySelector(Math.abs(n % 2) === 1 ? '.odd' : '.even');
      if (!b.classList.contains('selected')) return W.click(b);
    }
    return W.click($id('submit'));
  };
  P['stock-market'] = function () {
    var limit = +W.q().match(/\$(\d+(?:\.\d+)?)/)[1], price = +W.text($id('stock-price')).slice(1);
    return price <= limit ? W.click($id('buy')) : {kind: 'wait', els: [$id('buy')]};
  };
  P['use-spinner'] = function () {
    var want = +W.q().match(/Select (-?\d+)/)[1], v = +($id('spinner').value || 0);
    if (v === want && $id('spinner').value !== '') return W.click(W.byText('#area button', 'Submit')[0] || $id('subbtn'));
    return W.click(document.querySelector(v < want || $id('spinner').value === '' && want >= 0 ? '.ui-spinner-up' : '.ui-spinner-down'));
  };
  P['ascending-numbers'] = function () {
    var one = W.all('svg text').filter(function (t) { return W.text(t) === '1'; })[0];
    return W.click(one || document.querySelector('svg rect'));
  };
  P['button-delay'] = function () {
    if (!buttonsPushed.length) return W.click($id('subbtn'));
    return (new Date().getTime() - currentTime) / 1000 >= timeDelay - 0.03 ? W.click($id('subbtn2')) : {kind: 'wait', els: [$id('subbtn2')]};
  };

  // --- type what the instruction or the page says, then submit
  var typeThenSubmit = function (input, text) { return function () { return W.fill([[input(), text()]]); }; };
  var byId = function (id) { return function () { return $id(id); }; };
  var quoted0 = function () { return W.quoted()[0]; };
  P['enter-text'] = typeThenSubmit(byId('tt'), quoted0);
  P['enter-text-dynamic'] = typeThenSubmit(byId('tt'), quoted0);
  P['enter-text-2'] = typeThenSubmit(byId('tt'), function () { return W.quoted()[0].toUpperCase(); });
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

  // --- email inbox: the fields from the instruction (or core.currentFields in the -nl tasks)
  var emailFields = function () {
    var c = core.currentFields;
    if (c) return c.task ? c : {task: 'forward', by: c.by, to: c.to};  // the -forward-nl tasks give no task field
    var q = W.q(), by = q.match(/email by (.+?) and/)[1], m;
    if ((m = q.match(/reply to them with the text "(.*)"\.$/))) return {task: 'reply', by: by, message: m[1]};
    if ((m = q.match(/forward that email to (.+)\.$/))) return {task: 'forward', by: by, to: m[1]};
    return {task: /trash/.test(q) ? 'delete' : 'star', by: by};
  };
  var email = function () {
    var f = emailFields(), shown = function (id) { return W.visible($id(id)); };
    if (f.task === 'delete') return W.click(thread(f.by).querySelector('.trash'));
    if (f.task === 'star') return W.click(thread(f.by).querySelector('.star'));
    if (f.task === 'reply' && shown('reply')) return W.fill([[$id('reply-text'), f.message]], W.click($id('send-reply')));
    if (f.task === 'forward' && shown('forward')) return W.fill([[document.querySelector('#forward .forward-sender'), f.to]], W.click($id('send-forward')));
    if (shown('email')) return W.click(document.querySelector('#email .email-' + f.task));
    return W.click(thread(f.by).querySelector('.email-sender'));
  };
  P['email-inbox'] = P['email-inbox-delete'] = P['email-inbox-important'] = P['email-inbox-reply'] = email;
  P['email-inbox-forward'] = P['email-inbox-noscroll'] = P['email-inbox-star-reply'] = email;
  P['email-inbox-nl-turk'] = P['email-inbox-forward-nl'] = P['email-inbox-forward-nl-turk'] = email;

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
      var x = r.left + (want - o.min) / (o.max - o.min) * r.width;
      return {kind: 'click', els: [track], at: [Math.max(r.left + 1, Math.min(r.right - 1, x)), (r.top + r.bottom) / 2]};
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
    return {kind: 'drag', els: [el], at: [a.left + 0.5, (a.top + a.bottom) / 2], to: [Math.min(b.right + 3, innerWidth - 1), (b.top + b.bottom) / 2]};
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

  // --- date picker: open it, step to the month, click the day, submit
  var MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  var chooseDate = function () {
    var b = busy(); if (b) return b;
    var d = W.q().match(/Select (\d\d)\/(\d\d)\/(\d{4})/), input = $id('datepicker');
    if (input.value === d[0].slice(7)) return W.click($id('subbtn'));
    var cal = $id('ui-datepicker-div');
    if (!W.visible(cal)) return W.click(input);
    var shown = MONTHS.indexOf(W.text(cal.querySelector('.ui-datepicker-month'))) + 12 * +W.text(cal.querySelector('.ui-datepicker-year'));
    var want = +d[1] - 1 + 12 * +d[3];
    if (shown !== want) return W.click(cal.querySelector(shown < want ? '.ui-datepicker-next' : '.ui-datepicker-prev'));
    return W.clickAny(W.all('#ui-datepicker-div td a').filter(function (a) { return +W.text(a) === +d[2]; }));
  };
  P['choose-date'] = P['choose-date-easy'] = P['choose-date-medium'] = P['choose-date-nodelay'] = chooseDate;

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
    return W.fill([[name, q[0]]], W.clickAny(W.byText('#area button', q[1])));
  };

  P['click-pie'] = P['click-pie-nodelay'] = function () {  // open the wheel (its '+' centre), then click the label
    var want = W.quoted()[0], spreader = $id('wheelnav-divWheel-spreader');
    var title = W.all('#divWheel text').filter(function (t) { return /title-\d+$/.test(t.id) && t.textContent === want; })[0];
    var slice = $id(title.id.replace('title', 'slice')), r = slice.getBoundingClientRect();
    if (W.text($id('wheelnav-divWheel-spreadertitle')) === '+') return W.click(spreader);
    var size = Math.round(r.width) + 'x' + Math.round(r.height), settled = W.pieSize === size;
    W.remember(W, 'pieSize', size);
    return settled ? W.click(title) : {kind: 'wait', els: [title]};
  };
})(window.__rgWob);
