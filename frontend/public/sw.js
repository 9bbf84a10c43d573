// Offline shell: the app's own files are cached; the API always goes to the network (the screen
// says so when it cannot be reached). Navigations are network-first so a new build shows at once.
const CACHE = "shell-v1";
const SHELL = ["/", "/manifest.webmanifest", "/icon.svg", "/icon-192.png"];

// Reminders: push notifications and their 完了 action.
importScripts("/sw-push.js");

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

// Every file of the build (Vite's manifest lists them), so that each screen opens offline, not
// only the ones visited before. The page asks on each load: a new build brings new file names.
async function precache() {
  const response = await fetch("/.vite/manifest.json", { cache: "no-cache" });
  if (!response.ok) return;
  const chunks = Object.values(await response.json());
  const files = new Set(chunks.flatMap((chunk) => [chunk.file, ...(chunk.css ?? [])]).map((file) => `/${file}`));
  const cache = await caches.open(CACHE);
  const missing = [];
  for (const file of files) if (!(await cache.match(file))) missing.push(file);
  await cache.addAll(missing);
}

self.addEventListener("message", (event) => {
  if (event.data === "precache") event.waitUntil(precache().catch(() => undefined));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/")) return;
  if (request.mode === "navigate") {
    // Two documents: the login page (login.html) and the app (index.html) at every other path.
    const page = url.pathname === "/login" ? "/login" : "/";
    event.respondWith(
      fetch(request)
        .then((response) => {
          const copy = response.clone();
          if (response.ok) caches.open(CACHE).then((cache) => cache.put(page, copy));
          return response;
        })
        .catch(() => caches.match(page).then((cached) => cached || Response.error())),
    );
    return;
  }
  // Hashed assets never change: cache first, fill the cache on the way.
  event.respondWith(
    caches.match(request).then(
      (cached) =>
        cached ||
        fetch(request).then((response) => {
          if (response.ok && url.pathname.startsWith("/assets/")) {
            const copy = response.clone();
            caches.open(CACHE).then((cache) => cache.put(request, copy));
          }
          return response;
        }),
    ),
  );
});
