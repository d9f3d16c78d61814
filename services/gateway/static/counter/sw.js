/* The counter's service worker (served as /counter-sw.js, scope /cashier): keeps the app shell — the page and
 * its scripts and styles — so a reload while the network is down still opens the counter (and the customer's
 * display). The pages are fetched from the network first (fresh when online), the assets from the cache first
 * (refreshed behind). API calls are not cached here: the counter keeps its own data (catalogue, cart, queue) in
 * the browser. */
const CACHE = "sentra-counter-v2";
const SHELL = [
  "/cashier",
  "/assets/app.css",
  "/assets/app.js",
  "/assets/vendor/htmx.min.js",
  "/assets/favicon.svg",
  ...["main", "api", "approval", "cart", "catalogue", "customer", "display", "favourites", "i18n", "money", "payment",
      "print", "queue", "refund", "scan", "shift", "store", "ui"].map(name => `/assets/counter/${name}.js`),
];

/** The pages kept for offline use: the counter, and the customer's display once it has been opened. */
const PAGES = ["/cashier", "/cashier/display"];

self.addEventListener("install", event => {
  event.waitUntil(caches.open(CACHE).then(cache => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", event => {
  event.waitUntil(caches.keys()
    .then(keys => Promise.all(keys.filter(key => key !== CACHE).map(key => caches.delete(key))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", event => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (event.request.mode === "navigate" && PAGES.includes(url.pathname)) {
    event.respondWith(fetch(event.request).then(response => {
      if (response.ok && !response.redirected) {
        const copy = response.clone();
        caches.open(CACHE).then(cache => cache.put(url.pathname, copy));
      }
      return response;
    }).catch(() => caches.match(url.pathname)));
  } else if (url.pathname.startsWith("/assets/")) {
    event.respondWith(caches.match(event.request, { ignoreSearch: true }).then(cached => {
      const fresh = fetch(event.request).then(response => {
        if (response.ok) caches.open(CACHE).then(cache => cache.put(event.request, response.clone()));
        return response;
      });
      return cached || fresh;
    }));
  }
});
