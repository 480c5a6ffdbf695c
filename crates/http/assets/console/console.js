// wagate console: what htmx does not. Live regions (`data-live`): an element with
// `data-live="<SSE URL>"` listens to Server-Sent Events and tells htmx to refresh the
// elements named by `data-refresh` (`hx-trigger="refresh"` on them) on each event.
// Countdowns (`data-deadline`, Unix seconds): "23h 12m left" or "closed", every 30 s.
(function () {
  function wireLive(root) {
    root.querySelectorAll('[data-live]').forEach(function (el) {
      if (el.__wagateLive) return;
      var source = new EventSource(el.getAttribute('data-live'));
      el.__wagateLive = source;
      source.onmessage = function (ev) {
        var names = (el.getAttribute('data-refresh') || '').split(/\s+/);
        names.forEach(function (sel) {
          if (!sel) return;
          document.querySelectorAll(sel).forEach(function (t) { htmx.trigger(t, 'refresh', { event: ev.data }); });
        });
        document.body.setAttribute('data-last-event', ev.lastEventId || String(Date.now()));
      };
    });
  }
  function countdowns() {
    var now = Date.now() / 1000;
    document.querySelectorAll('[data-deadline]').forEach(function (el) {
      var left = Number(el.getAttribute('data-deadline')) - now;
      if (left <= 0) { el.textContent = el.getAttribute('data-closed') || 'window closed'; el.classList.add('closed'); return; }
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60);
      el.textContent = h + 'h ' + m + 'm left';
    });
  }
  document.addEventListener('DOMContentLoaded', function () { wireLive(document); countdowns(); });
  document.addEventListener('htmx:afterSettle', function (e) { wireLive(e.target); countdowns(); });
  setInterval(countdowns, 30000);
  window.addEventListener('beforeunload', function () {
    document.querySelectorAll('[data-live]').forEach(function (el) { if (el.__wagateLive) el.__wagateLive.close(); });
  });
})();
