// Tribune's discussion under a page of another site. Paste, where it should appear:
//   <a href="https://SITE/discussion?page=URL">Discussion</a>
//   <script src="https://SITE/embed/comments.js" data-page="URL" async></script>
// It replaces the link with a frame of the discussion, sized to its content. It talks to
// nobody but the Tribune site it came from, and listens only to that site's frame.
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me || !window.URLSearchParams) return;
  var site = new URL(me.src).origin;
  var q = new URLSearchParams();
  q.set("page", me.getAttribute("data-page") || location.href.split("#")[0]);
  q.set("origin", location.origin);
  q.set("title", (me.getAttribute("data-title") || document.title || "").slice(0, 200));
  ["accent", "font", "scheme"].forEach(function (k) {
    var v = me.getAttribute("data-" + k);
    if (v) q.set(k, v);
  });
  var frame = document.createElement("iframe");
  frame.src = site + "/embed/discussion?" + q.toString();
  frame.title = "Discussion";
  frame.setAttribute("loading", "lazy");
  frame.style.cssText = "display:block;width:100%;border:0;height:24em";
  var link = me.previousElementSibling;
  if (link && link.tagName === "A" && link.href.indexOf(site + "/discussion") === 0) {
    link.parentNode.replaceChild(frame, link);
  } else {
    me.parentNode.insertBefore(frame, me.nextSibling);
  }
  window.addEventListener("message", function (e) {
    if (e.origin !== site || e.source !== frame.contentWindow) return;
    var d = e.data;
    if (d && d.tribune === "height" && typeof d.height === "number") {
      frame.style.height = Math.min(Math.max(Math.ceil(d.height), 80), 200000) + "px";
    }
  });
})();
