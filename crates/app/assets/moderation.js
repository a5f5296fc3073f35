// The moderation queue's keyboard shortcuts: j/k move between held comments, a approves,
// s rejects as spam, x as abuse (each presses the comment's own button, so the page works
// the same without this script). Keys typed into a field are left alone.
(function () {
  "use strict";
  var items = Array.prototype.slice.call(document.querySelectorAll(".queue-item"));
  if (!items.length) return;
  var current = -1;

  function focus(i) {
    current = Math.max(0, Math.min(items.length - 1, i));
    items.forEach(function (item, n) { item.classList.toggle("is-current", n === current); });
    items[current].focus();
    items[current].scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var t = e.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT|BUTTON|SUMMARY)$/.test(t.tagName))) return;
    if (e.key === "j") { focus(current + 1); e.preventDefault(); return; }
    if (e.key === "k") { focus(current - 1); e.preventDefault(); return; }
    if (current < 0) return;
    var button = items[current].querySelector('button[data-key="' + e.key + '"]');
    if (button) { e.preventDefault(); button.click(); }
  });
})();
