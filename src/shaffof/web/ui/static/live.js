/* Shaffof live updates — progressive enhancement only: the pages work without this script.
 * A page that names an event stream in <meta name="shaffof-live"> gets its #case-status region refreshed
 * from the server-rendered page whenever the stream reports a change, and the change is announced to
 * screen readers through the polite live region #live-status. Nothing else on the page (forms being
 * typed into, focus) is touched. */
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="shaffof-live"]');
  var region = document.getElementById("case-status");
  if (!meta || !region || !window.EventSource || !window.fetch || !window.DOMParser) {
    return;
  }
  var announcer = document.getElementById("live-status");
  var busy = false;
  var again = false;

  function refresh() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html) {
          var page = new DOMParser().parseFromString(html, "text/html");
          var fresh = page.getElementById("case-status");
          if (fresh) {
            region.innerHTML = fresh.innerHTML;
            region.setAttribute("data-refreshed", String(Date.now()));
          }
          var freshAnnouncer = page.getElementById("live-status");
          var state = page.getElementById("case-state");
          if (announcer && freshAnnouncer) {
            var text = freshAnnouncer.getAttribute("data-updated") || "";
            announcer.textContent = state ? text + " " + state.textContent.trim() : text;
          }
        }
      })
      .catch(function () { /* the next event or a reload will bring the page up to date */ })
      .then(function () {
        busy = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  var source = new EventSource(meta.getAttribute("content"));
  source.addEventListener("case-event", refresh);
  source.addEventListener("queue-event", refresh);
  source.addEventListener("ready", function () {
    document.documentElement.setAttribute("data-live", "connected");
  });
})();
