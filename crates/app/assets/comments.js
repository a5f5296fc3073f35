// Tribune's discussion, enhanced: post and reply without a reload, and load more comments
// in place. Everything here also works without this script, as plain forms and links;
// the server renders every piece of HTML this script inserts.
(function () {
  "use strict";
  var thread = document.getElementById("thread");
  var mainForm = document.getElementById("comment-form");
  if (!thread) return;

  function fragment(html) {
    var t = document.createElement("template");
    t.innerHTML = html;
    return t.content;
  }

  // The last element of the subtree under `comment`: replies follow their parent, deeper.
  // Open reply forms in between are not comments and do not end it.
  function endOfSubtree(comment) {
    var depth = Number(comment.dataset.depth);
    var last = comment;
    var next = last.nextElementSibling;
    while (next && !(next.classList.contains("comment") && Number(next.dataset.depth) <= depth)) {
      last = next;
      next = next.nextElementSibling;
    }
    return last;
  }

  // The heading says how many comments there are: one more now.
  function countOneMore() {
    var heading = document.getElementById("comments-heading");
    var n = heading ? parseInt(heading.textContent, 10) : NaN;
    if (!isNaN(n)) heading.textContent = (n + 1) + (n + 1 === 1 ? " comment" : " comments");
  }

  function showErrors(form, html) {
    var old = form.parentNode.querySelector(".js-errors");
    if (old) old.remove();
    var box = document.createElement("div");
    box.className = "js-errors";
    box.appendChild(fragment(html));
    form.parentNode.insertBefore(box, form);
  }

  function submit(form, event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    var body = new URLSearchParams(new FormData(form));
    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-Tribune-Fragment": "1" }
    }).then(function (response) {
      return response.text().then(function (html) {
        if (button) button.disabled = false;
        if (response.status === 201) {
          placeNew(form, html);
        } else if (response.status === 422) {
          showErrors(form, html);
        } else {
          form.submit(); // let the server's own page explain
        }
      });
    }).catch(function () {
      if (button) button.disabled = false;
      form.submit();
    });
  }

  function placeNew(form, html) {
    var parentId = form.elements.parent_id.value;
    var nodes = fragment(html);
    var added = nodes.querySelector(".comment");
    if (parentId) {
      var parent = document.getElementById("comment-" + parentId);
      var after = parent ? endOfSubtree(parent) : thread.lastElementChild;
      thread.insertBefore(nodes, after ? after.nextSibling : null);
    } else {
      thread.appendChild(nodes);
    }
    var errors = form.parentNode.querySelector(".js-errors");
    if (errors) errors.remove();
    if (added && !added.classList.contains("pending")) countOneMore();
    if (form === mainForm) {
      form.elements.body.value = "";
    } else {
      form.remove();
    }
    if (added) {
      added.classList.add("just-posted");
      added.scrollIntoView({ block: "nearest" });
    }
  }

  function openReply(link, event) {
    if (!mainForm) return;
    event.preventDefault();
    var comment = link.closest(".comment");
    var existing = comment.nextElementSibling;
    if (existing && existing.classList.contains("reply-form")) {
      existing.querySelector("textarea").focus();
      return;
    }
    var form = mainForm.cloneNode(true);
    form.removeAttribute("id");
    var maxIndent = Number(thread.dataset.maxIndent) || 6;
    form.classList.add("reply-form", "indent-" + Math.min(Number(comment.dataset.depth) + 1, maxIndent));
    form.elements.parent_id.value = comment.dataset.id;
    form.elements.body.value = "";
    form.querySelectorAll("[id]").forEach(function (el) {
      var label = form.querySelector("label[for='" + el.id + "']");
      el.id = el.id + "-" + comment.dataset.id;
      if (label) label.htmlFor = el.id;
    });
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "link";
    cancel.textContent = "Cancel";
    cancel.addEventListener("click", function () { form.remove(); });
    form.querySelector("button[type=submit]").textContent = "Post reply";
    form.appendChild(cancel);
    comment.parentNode.insertBefore(form, comment.nextSibling);
    form.elements.body.focus();
  }

  function loadMore(link, event) {
    event.preventDefault();
    var holder = link.closest(".more-comments");
    link.textContent = "Loading…";
    fetch(link.dataset.fragment, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        var nodes = fragment(html);
        var more = nodes.querySelector(".thread");
        if (more) while (more.firstElementChild) thread.appendChild(more.firstElementChild);
        var next = nodes.querySelector(".more-comments");
        if (next) holder.replaceWith(next); else holder.remove();
      })
      .catch(function () { window.location.href = link.href; });
  }

  // "More replies": the replies a page left off, put where the link was. The server
  // sends them indented as on the article's page, and its own link to the next ones.
  function loadReplies(link, event) {
    event.preventDefault();
    var holder = link.closest(".more-replies");
    link.textContent = "Loading…";
    fetch(link.href, { credentials: "same-origin", headers: { "X-Tribune-Fragment": "1" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        var nodes = fragment(html);
        var replies = nodes.querySelector(".thread");
        if (replies) while (replies.firstElementChild) holder.parentNode.insertBefore(replies.firstElementChild, holder);
        var next = nodes.querySelector(".replies-next");
        if (next) {
          next.className = holder.className;
          holder.replaceWith(next);
        } else {
          holder.remove();
        }
      })
      .catch(function () { window.location.href = link.href; });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.classList && form.classList.contains("comment-form") && form.action.indexOf("/comments") > 0
        && form.elements.parent_id) {
      submit(form, event);
    }
  });
  document.addEventListener("click", function (event) {
    var reply = event.target.closest && event.target.closest("a[data-reply]");
    if (reply) return openReply(reply, event);
    var more = event.target.closest && event.target.closest(".more-comments a[data-fragment]");
    if (more) return loadMore(more, event);
    // In place only on the article's page: a page of replies indents from its own top.
    var replies = event.target.closest && event.target.closest(".more-replies a");
    if (replies && !document.querySelector(".replies-of")) return loadReplies(replies, event);
  });
})();
