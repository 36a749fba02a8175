// @ts-check
/**
 * The service worker: keeps the page's shell (the page at the base path and its files) so that
 * Parlour, added to a phone's home screen, opens when the network does not answer.
 *
 * What it never touches: a host's page (its secret address is not in the shell, so it always
 * comes from the server, and is never kept), the WebSocket (service workers never see one),
 * anything not a GET, and passphrases, which travel after "#", a part of an address no request
 * carries; the cache's keys are taken without it anyway.
 *
 * Network first: online, every file of the shell comes from the server as without a worker (the
 * server's ETags make that a short answer), so a new version of the page and its modules is in
 * use at the next load, all of one version; only when the server cannot be reached does the
 * kept copy answer. The server writes SHELL (below) when it serves this file: the shell's files
 * and a hash of them all, which names the cache, so a new version's worker keeps its own copy
 * and drops the old one.
 */

/** @type {{version: string, files: string[]}} */
const SHELL = { version: "unversioned", files: [] };
const CACHE = `parlour-${SHELL.version}`;

/**
 * The parts of a worker's global scope used here (tsc checks this file against the DOM's).
 * @typedef {Event & {waitUntil(promise: Promise<unknown>): void}} ExtendableEvent
 * @typedef {ExtendableEvent & {request: Request, respondWith(response: Promise<Response>): void}} FetchEvent
 * @typedef {{
 *   registration: {scope: string},
 *   skipWaiting(): Promise<void>,
 *   clients: {claim(): Promise<void>},
 *   addEventListener(type: string, listener: (event: any) => void): void,
 * }} WorkerScope
 */
const worker = /** @type {WorkerScope} */ (/** @type {unknown} */ (self));

/** The shell's addresses, absolute and without search or fragment. */
const shell = new Set(SHELL.files.map((file) => new URL(file, worker.registration.scope).href));

/** @param {string} address  the key a request is kept under: no fragment, no search */
function key(address) {
  const url = new URL(address);
  url.hash = "";
  url.search = "";
  return url.href;
}

worker.addEventListener("install", (/** @type {ExtendableEvent} */ event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll([...shell]);
      // A new version takes over at once rather than after every tab of the old one closed:
      // network first means the pages of either version load whole from the server.
      await worker.skipWaiting();
    })(),
  );
});

worker.addEventListener("activate", (/** @type {ExtendableEvent} */ event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("parlour-") && name !== CACHE) await caches.delete(name);
      }
      await worker.clients.claim();
    })(),
  );
});

worker.addEventListener("fetch", (/** @type {FetchEvent} */ event) => {
  const { request } = event;
  const url = new URL(request.url);
  // Anything with a search, or not in the shell, goes to the server untouched, as if no
  // worker were here: a host's page above all.
  if (request.method !== "GET" || url.search || !shell.has(key(request.url))) return;
  event.respondWith(networkFirst(request));
});

/** @param {Request} request @returns {Promise<Response>} */
async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  const kept = key(request.url);
  try {
    const response = await fetch(request);
    if (response.ok && response.type === "basic") await cache.put(kept, response.clone());
    return response;
  } catch (error) {
    const copy = await cache.match(kept);
    if (copy) return copy;
    throw error;
  }
}
