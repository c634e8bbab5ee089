// Target resolvers for single-click MiniWoB++ tasks: each returns the element(s) whose click
// MiniWoB++ rewards, read from the page after the episode was generated.
(function () {
  function q() { return core.getUtterance(); }
  function quoted() { var m = q().match(/"([^"]*)"/); return m ? m[1] : null; }
  function byText(sel, text) {
    return Array.prototype.filter.call(document.querySelectorAll(sel), function (e) { return e.textContent.trim() === text; });
  }
  var ORD = {'1st': 0, '2nd': 1, '3rd': 2, 'first': 0, 'second': 1, 'third': 2};
  return {
    'click-test': function () { return [document.getElementById('subbtn')]; },
    'click-test-2': function () { return [document.getElementById('subbtn')]; },
    'click-test-transfer': function () { return byText('#area button', q().match(/button (\w+)/)[1]); },
    'click-button': function () { return byText('#area button', quoted()); },
    'click-link': function () { return byText('#area .alink', quoted()); },
    'click-dialog-2': function () {
      var t = quoted();
      return t === 'x' ? [document.querySelector('.ui-dialog-titlebar button.ui-button')]
                       : byText('.ui-dialog-buttonset button', t);
    },
    'focus-text': function () { return [document.getElementById('tt')]; },
    'focus-text-2': function () {
      var m = q().match(/the (\w+) input/); var inputs = document.querySelectorAll('#area input');
      return [inputs[ORD[m[1]]]];
    },
    'click-color': function () {
      var bold = document.querySelector('#query .bold'), boxes = document.querySelectorAll('#area .color');
      var want = bold ? null : getComputedStyle(document.getElementById('query-color')).backgroundColor;
      return Array.prototype.filter.call(boxes, function (b) {
        return bold ? bold.textContent.indexOf(b.getAttribute('data-color')) !== -1
                    : getComputedStyle(b).backgroundColor === want;
      });
    },
    'click-tab': function () {
      var n = q().match(/Tab #(\d)/)[1];
      return Array.prototype.filter.call(document.querySelectorAll('#area ul a'), function (a) { return a.getAttribute('href') === '#tabs-' + n; });
    }
  };
})()
