// Inactivity: the server ends the session after the policy's timeout. When that time has
// passed without navigation, reload so the server can say why the user was signed out.
(function () {
  "use strict";
  var seconds = parseInt(document.body.getAttribute("data-inactivity-seconds") || "", 10);
  if (!seconds) {
    return;
  }
  var timer = null;
  function arm() {
    if (timer) {
      clearTimeout(timer);
    }
    timer = setTimeout(function () { window.location.reload(); }, (seconds + 2) * 1000);
  }
  arm();
})();
