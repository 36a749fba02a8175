// @ts-check
/**
 * The page's service worker (sw.js): the shell kept for opening without the network, and what
 * makes Parlour installable on a phone's home screen with the manifest.
 *
 * Registered from whichever page this is, a host's secret page too: the worker lives at the base
 * path (sw.js next to the page, scope "./"), and never keeps a host's page (see sw.js).
 * Browsers allow service workers only on https (and on localhost); on plain http elsewhere the
 * page works as before, without them.
 */
export function keepShell() {
  if (!("serviceWorker" in navigator)) return;
  const register = () => {
    navigator.serviceWorker.register("sw.js", { scope: "./" }).catch(() => {
      // Not kept offline this time (storage full, private browsing): nothing else depends on it.
    });
  };
  // After the page has loaded: the worker's first visit fetches the whole shell again, which
  // must not compete with the page's own files, its camera and its key stretch.
  if (document.readyState === "complete") register();
  else window.addEventListener("load", register, { once: true });
}
