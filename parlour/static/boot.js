// @ts-check
/**
 * What the page says when its own modules did not arrive. A classic script, not a module, and
 * run before app.js (deferred scripts and modules run in document order): where a module of the
 * page failed to load (a dropped connection on a phone, a proxy's hiccup), app.js never runs,
 * Join and Ask for a call stay disabled as index.html ships them, and nothing else would say
 * why. A failed module fires "error" on its <script> element, which does not bubble: caught on
 * the way down. The words are in the page already (the server writes them in the page's
 * language, wording.py), since the catalogues are modules too.
 */
window.addEventListener(
  "error",
  (event) => {
    if (!(event.target instanceof HTMLScriptElement)) return; // the page's own errors are not this
    const notice = document.getElementById("load-failed");
    if (notice) notice.hidden = false;
  },
  true,
);
document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("load-retry")?.addEventListener("click", () => location.reload());
});
