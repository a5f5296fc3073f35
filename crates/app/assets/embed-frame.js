// Inside the framed discussion: tell the embedding page (and only it: its origin was
// checked against the allow list) how tall the discussion is; move the form under a
// comment to reply; sign in through a first-party pop-up, whose one-use token comes back
// by postMessage from this very site.
(function () {
  "use strict";
  var parentOrigin = document.body.getAttribute("data-parent");
  var last = 0;
  function tell() {
    var h = document.documentElement.scrollHeight;
    if (h !== last && window.parent !== window && parentOrigin) {
      last = h;
      window.parent.postMessage({ tribune: "height", height: h }, parentOrigin);
    }
  }
  if (window.ResizeObserver) new ResizeObserver(tell).observe(document.body);
  window.addEventListener("load", tell);
  tell();

  var form = document.getElementById("comment-form");
  var parentField = document.getElementById("comment-parent");
  var replying = document.getElementById("replying");
  var home = form && form.parentNode;
  var homeNext = form && form.nextSibling;
  function replyTo(id) {
    var comment = document.getElementById("comment-" + id);
    if (!form || !comment) return;
    parentField.value = id;
    replying.hidden = false;
    comment.appendChild(form);
    document.getElementById("comment-body").focus();
  }
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("[data-reply]");
    if (b) replyTo(b.getAttribute("data-reply"));
  });
  var cancel = document.getElementById("reply-cancel");
  if (cancel) cancel.addEventListener("click", function () {
    parentField.value = "";
    replying.hidden = true;
    home.insertBefore(form, homeNext);
  });
  if (form && parentField.value) replyTo(parentField.value);

  var link = document.getElementById("signin-link");
  var signin = document.getElementById("signin-form");
  var popup = null;
  if (link && signin) link.addEventListener("click", function (e) {
    e.preventDefault();
    popup = window.open("/embed/signin", "tribune-signin", "width=520,height=640");
  });
  window.addEventListener("message", function (e) {
    if (e.origin !== location.origin || !popup || e.source !== popup) return;
    var d = e.data;
    if (d && d.tribune === "signed-in" && typeof d.token === "string") {
      signin.elements.handoff.value = d.token;
      signin.submit();
    }
  });
})();
