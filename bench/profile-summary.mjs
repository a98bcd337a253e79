// Reads a V8 .cpuprofile (what `node --cpu-prof` writes) into the few numbers a reader needs: self
// time by area (our server code, SQLite, WebSocket, protobuf, Node's internals, GC, idle) and the
// functions with the most self and inclusive time. Inclusive time counts a function once per
// sample even when it recurses.

/** The area a frame belongs to, from its script URL. */
function areaOf({ url, functionName }) {
  if (!url) {
    if (functionName === '(idle)') return 'idle (waiting for I/O)';
    if (functionName === '(garbage collector)') return 'garbage collection';
    if (functionName === '(program)') return 'V8 and native code outside JS (incl. syscalls such as fsync and writes)';
    return 'native functions called from JS';
  }
  if (url.includes('better-sqlite3')) return 'better-sqlite3 (JS side)';
  if (url.includes('/node_modules/ws/')) return 'ws (WebSocket framing)';
  if (url.includes('@bufbuild/protobuf')) return 'protobuf-es (encode/decode)';
  if (url.includes('/node_modules/pino') || url.includes('thread-stream') || url.includes('sonic-boom')) return 'pino (logging)';
  if (url.includes('/node_modules/fastify') || url.includes('/node_modules/@fastify') || url.includes('light-my-request') || url.includes('find-my-way')) return 'fastify (HTTP)';
  if (url.includes('/node_modules/')) return `other packages (${url.split('/node_modules/').pop().split('/')[0]})`;
  if (url.includes('/packages/server/')) return 'Sotto server';
  if (url.includes('/packages/protocol/')) return 'Sotto protocol';
  if (url.startsWith('node:')) return 'Node internals (streams, net, timers, crypto)';
  return 'other';
}

const shortUrl = (url) => url.replace(/^.*\/(node_modules|packages)\//, '').replace(/^file:\/\//, '');
const keyOf = ({ functionName, url, lineNumber }) => `${functionName || '(anonymous)'} ${url ? `${shortUrl(url)}:${lineNumber + 1}` : ''}`.trim();

export function summariseProfile(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map();
  const inclusive = new Map();
  const areas = new Map();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    const node = byId.get(profile.samples[i]);
    if (!node) continue;
    total += dt;
    const key = keyOf(node.callFrame);
    self.set(key, (self.get(key) ?? 0) + dt);
    const area = areaOf(node.callFrame);
    areas.set(area, (areas.get(area) ?? 0) + dt);
    const seen = new Set();
    for (let id = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id).callFrame;
      if (!frame.url.includes('/packages/')) continue;
      const k = keyOf(frame);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
    }
  }
  const ranked = (map) => [...map].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, ms: Math.round(us / 1000), percent: (100 * us) / total }));
  return {
    sampledMs: Math.round(total / 1000),
    areas: [...areas].sort((a, b) => b[1] - a[1]).map(([area, us]) => [area, (100 * us) / total]),
    self: ranked(self).slice(0, 40),
    inclusive: ranked(inclusive).slice(0, 40),
  };
}
