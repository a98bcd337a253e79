/**
 * @module gateway/web-app
 * Serves the web app's static files at `/` with headers that make the page hard to turn
 * against its members: a strict Content-Security-Policy (scripts only from this origin, no
 * inline script, no framing, connections only back to this server), no referrer, no MIME
 * sniffing. The app is just files; the server never renders anything of a member's.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/**
 * The page's policy. `connectTo` adds origins the app may open connections to besides this
 * server: the SFU's member API (group calls), and nothing else.
 */
export function contentSecurityPolicy(connectTo: readonly string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    // React sets style attributes; no style can run code.
    "style-src 'self' 'unsafe-inline'",
    // QR codes are data: images made in the page.
    "img-src 'self' data:",
    "media-src 'self' blob:",
    ["connect-src 'self'", ...connectTo].join(' '),
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The ws:// or wss:// origin of an SFU URL, for connect-src; undefined for anything else. */
export function sfuOrigin(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'ws:' || parsed.protocol === 'wss:' ? `${parsed.protocol}//${parsed.host}` : undefined;
  } catch {
    return undefined;
  }
}

const OTHER_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  // The app itself may ask for the microphone and (video calls) the camera; nothing it embeds may, and nobody may ask for the rest.
  'permissions-policy': 'microphone=(self), camera=(self), geolocation=(), payment=()',
};

export class WebRootError extends Error {
  override readonly name = 'WebRootError';
}

/** Registers the app's files; `root` must hold the built app (index.html). */
export async function serveWebApp(app: FastifyInstance, root: string, connectTo: readonly string[] = []): Promise<void> {
  if (!existsSync(join(root, 'index.html'))) {
    throw new WebRootError(`web app not found: ${root} has no index.html (build it with "npm run build")`);
  }
  const headers = { 'content-security-policy': contentSecurityPolicy(connectTo), ...OTHER_HEADERS };
  app.addHook('onSend', async (_request, reply, payload) => {
    for (const [name, value] of Object.entries(headers)) reply.header(name, value);
    return payload;
  });
  await app.register(fastifyStatic, {
    root,
    index: ['index.html'],
    wildcard: false,
    // Hashed assets never change; the shell and the service worker must be fetched fresh so
    // an update (or a raised minimum version) reaches members on their next load.
    setHeaders(reply, path) {
      const hashed = /[\\/]assets[\\/]/.test(path);
      reply.header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
}
