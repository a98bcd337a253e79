/**
 * @module gateway/origin-check
 * Whether a WebSocket upgrade comes from one of this server's own pages. Login is by signature,
 * so another site's page could not log in as anyone; but it should not be able to open the socket
 * at all, and browsers say which page asks in `Origin`. The rule: an upgrade without `Origin` is
 * not from a browser page (the CLI, the SDK) and is accepted; one with `Origin` is accepted when
 * the origin's host and port are the host and port the client asked for (`Host`, or the last
 * `X-Forwarded-Host` from a trusted proxy), with http or https alike, since a TLS proxy in front
 * makes the page https while the server speaks http. `Origin: null` (sandboxed frames, files) is
 * refused.
 */

/** Default ports, for an origin that names none. */
const DEFAULT_PORT: Readonly<Record<string, string>> = { 'http:': '80', 'https:': '443' };

/** Whether an upgrade with these headers may open a socket. */
export function isOwnOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  if (host === undefined) return false;
  let page: URL;
  try {
    page = new URL(origin);
  } catch {
    return false;
  }
  const defaultPort = DEFAULT_PORT[page.protocol];
  if (defaultPort === undefined || page.pathname !== '/' || page.username !== '' || page.password !== '') return false;
  const asked = splitHost(host);
  if (!asked || asked.hostname !== page.hostname) return false;
  // A Host without a port is the default port of whichever scheme the page used.
  return (page.port || defaultPort) === (asked.port ?? defaultPort);
}

/** The host the client asked for: `X-Forwarded-Host` from a trusted proxy if it set one, else `Host`. */
export function askedHost(host: string | undefined, forwardedHost: string | string[] | undefined, trustedProxy: boolean): string | undefined {
  if (!trustedProxy) return host;
  const header = Array.isArray(forwardedHost) ? forwardedHost.join(',') : forwardedHost;
  // The proxy in front appends or sets the last entry; earlier ones came from the client.
  const last = header?.split(',').map((s) => s.trim()).filter((s) => s.length > 0).pop();
  return last ?? host;
}

/** `name[:port]` or `[v6]:port`, lower-cased as URL does; undefined if it is not a host. */
function splitHost(host: string): { hostname: string; port?: string } | undefined {
  let url: URL;
  try {
    url = new URL(`http://${host.trim()}`);
  } catch {
    return undefined;
  }
  if (url.pathname !== '/' || url.username !== '' || url.search !== '' || url.hash !== '') return undefined;
  // URL drops an explicit :80 for http; recover it, since for an https page :80 is not the default.
  const explicit = /:(\d+)$/.exec(host.trim());
  return explicit ? { hostname: url.hostname, port: String(Number(explicit[1])) } : { hostname: url.hostname };
}
