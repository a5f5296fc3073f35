// Click-to-load videos: a figure names the host and links to the video; only when the
// reader presses Play is the host's player framed (nothing is asked of it before).
(() => {
  "use strict";
  // The players the Content-Security-Policy allows; anything else is left a link.
  const PLAYERS = ["https://www.youtube-nocookie.com/embed/", "https://player.vimeo.com/video/"];
  for (const figure of document.querySelectorAll("figure.video[data-player]")) {
    const src = figure.dataset.player;
    const button = figure.querySelector("button.video-play");
    if (!button || !PLAYERS.some((p) => src.startsWith(p))) continue;
    button.hidden = false;
    button.addEventListener("click", () => {
      const frame = document.createElement("iframe");
      frame.src = src;
      frame.title = button.textContent.replace(/^Play video/, "Video");
      frame.allow = "autoplay; encrypted-media; fullscreen; picture-in-picture";
      frame.allowFullscreen = true;
      frame.referrerPolicy = "strict-origin-when-cross-origin";
      button.replaceWith(frame);
      frame.focus();
    }, { once: true });
  }
})();
