/*
 * google.script.run, for the local preview. The sidebar's calls go to a Web Worker that runs
 * the real Code.gs (all the .gs files) with stand-ins of the Apps Script services
 * (standin-worker.js); answers come back asynchronously, as in Apps Script. What Code.gs does
 * to the spreadsheet's UI (show a tab, a toast) is passed on to the preview page around the
 * sidebar. `window.standin` records the calls, for the tests.
 */
(function () {
  var worker = new Worker('/preview/static/standin-worker.js');
  var pending = {};
  var sequence = 0;
  var TRIGGERS_KEY = 'preview-triggers';
  var PROPERTIES_KEY = 'preview-properties';   // the document's and the user's

  window.standin = { calls: [], ui: [] };

  function toParent(message) {
    if (window.parent && window.parent !== window) {
      message.source = 'appsscript-standin';
      window.parent.postMessage(message, '*');
    }
  }

  worker.onmessage = function (event) {
    var message = event.data;
    if (message.type === 'result') {
      var call = pending[message.id];
      delete pending[message.id];
      if (!call) return;
      call.record.ok = message.ok;
      toParent({ type: 'call', name: call.name, ok: message.ok });
      if (message.ok) {
        if (call.success) call.success(message.value, call.userObject);
      } else if (call.failure) {
        call.failure(new Error(message.error), call.userObject);
      }
    } else if (message.type === 'triggers') {
      localStorage.setItem(TRIGGERS_KEY, JSON.stringify(message.triggers));
    } else if (message.type === 'properties') {
      localStorage.setItem(PROPERTIES_KEY, JSON.stringify({ document: message.document, user: message.user }));
    } else if (message.type === 'ui') {
      window.standin.ui.push(message);
      toParent(message);
    }
  };

  worker.postMessage({
    type: 'init',
    triggers: JSON.parse(localStorage.getItem(TRIGGERS_KEY) || '[]'),
    properties: JSON.parse(localStorage.getItem(PROPERTIES_KEY) || '{}'),
    origin: location.origin
  });

  function runner(success, failure, userObject) {
    var target = {
      withSuccessHandler: function (fn) { return runner(fn, failure, userObject); },
      withFailureHandler: function (fn) { return runner(success, fn, userObject); },
      withUserObject: function (object) { return runner(success, failure, object); }
    };
    return new Proxy(target, {
      get: function (object, name) {
        if (name in object) return object[name];
        return function () {
          var args = Array.prototype.slice.call(arguments);
          var id = ++sequence;
          var record = { name: name, args: args };
          window.standin.calls.push(record);
          pending[id] = { name: name, success: success, failure: failure,
                          userObject: userObject, record: record };
          worker.postMessage({ type: 'call', id: id, name: name, args: args });
        };
      }
    });
  }

  window.google = {
    script: {
      run: runner(null, null, undefined),
      host: {
        close: function () { toParent({ type: 'ui', what: 'close' }); },
        editor: { focus: function () {} },
        setHeight: function () {},
        setWidth: function () {}
      }
    }
  };
})();
