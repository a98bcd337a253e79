// Sotto's service worker: keeps the app shell (HTML, scripts, styles, icons) so the app opens
// without a network. It never touches messages, keys or the WebSocket: those live in
// IndexedDB and go straight to the server. A new deploy changes the asset names Vite emits,
// and the shell is fetched network-first, so an update reaches members on the next load.
// A Web Push carries nothing but {"v":1} (no sender, no text): the worker shows only "New message"
// at once, without connecting (browsers require a visible notification for each push), and the
// app learns the rest when it opens, connects and decrypts.
const CACHE = 'sotto-shell-v1';
const SHELL = ['/', '/manifest.webmanifest', '/icon.svg', '/icon-192.png', '/icon-512.png'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/v1/') || url.pathname === '/healthz' || url.pathname === '/metrics') return;
  // Network first: a member always gets the newest app the server has (update enforcement),
  // and the cached copy only when offline.
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(request, copy)).catch(() => undefined);
        }
        return response;
      })
      .catch(() => caches.match(request).then((cached) => cached ?? caches.match('/')).then((r) => r ?? Response.error())),
  );
});

/** Shows "New message" for a push, unless a window of the app is on screen (it shows what arrived itself). */
self.addEventListener('push', (event) => {
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
      if (windows.some((w) => w.visibilityState === 'visible')) return undefined;
      // One tag: a second push replaces the first instead of piling up.
      return self.registration.showNotification('Sotto', { body: 'New message', tag: 'sotto-new', icon: '/icon-192.png' });
    }),
  );
});

/** A click on any notification brings the app forward: an open window if there is one, else a new one. */
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
      const open = windows.find((w) => new URL(w.url).origin === self.location.origin);
      return open ? open.focus() : self.clients.openWindow('/');
    }),
  );
});
