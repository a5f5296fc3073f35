// The sign-in pop-up of an embedded discussion: hand its one-use token to the frame that
// opened it (this site's origin only), then close.
(function () {
  "use strict";
  var p = document.getElementById("handoff");
  if (!p || !window.opener) return;
  window.opener.postMessage({ tribune: "signed-in", token: p.getAttribute("data-token") }, location.origin);
  window.close();
})();
