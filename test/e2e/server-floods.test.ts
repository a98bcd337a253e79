/**
 * Scenarios (issue 15, holes 7, 8, 9 and the Origin check of 12): the server attacked from
 * outside, a real `sotto serve` process each time.
 *
 * 7. A member writing tiny requests as fast as it can and never reading the answers, with four
 *    unauthenticated connections doing the same: the server's memory stays bounded, the flooders
 *    are closed with 4004, and two honest members keep exchanging messages promptly.
 * 8. Slow request bodies and slow headers are cut off after the request timeout; one address
 *    cannot hold more than its share of connections, and a new member still gets in.
 * 9. Invalid JSON and oversized bodies get 400/413 with a stable code, and nothing is logged at
 *    error level for a client's mistake.
 * 12. A WebSocket upgrade from a page of another origin is refused; the server's own origin and
 *    clients that send no Origin (CLI, SDK) are accepted.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { FrameType, ErrorCode } from '@sotto/protocol';
import { errorOf, makeIdentity, WireClient } from '@sotto/server/wire-client';
import { Flooder, HonestPair, MemoryWatch, percentile, residentBytes, SlowRequest } from '../support/floods.js';
import { scratchDir } from '../support/paths.js';
import { ServerProcess } from '../support/server-process.js';

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The close code for a connection that floods or stops reading (gateway/close-codes.ts). */
const FLOODING = 4004;

const dir = scratchDir('server-floods');
after(() => dir.remove());

describe('hole 7: flooding tiny frames', () => {
  let server: ServerProcess;
  before(async () => {
    server = await ServerProcess.start(join(dir.path, 'flood'));
  });
  after(() => server?.stop());

  test('a member and four unauthenticated connections flooding without reading: memory bounded, flooders closed with 4004, honest members served', async () => {
    const honest = await HonestPair.connect(server.url);
    const idle = await honest.exchange(1_500);
    const baseline = residentBytes(server.pid!);
    const flooders = [
      await Flooder.connect(server.url, { register: true }),
      ...(await Promise.all(Array.from({ length: 4 }, () => Flooder.connect(server.url)))),
    ];
    const memory = new MemoryWatch(server.pid!);
    for (const flooder of flooders) flooder.start();
    const underFlood = await honest.exchange(8_000);
    const peak = memory.stop();
    const closes = await Promise.all(flooders.map((f) => f.closedBy(5_000)));
    for (const flooder of flooders) flooder.destroy();
    await honest.close();

    const growth = (peak - baseline) / MiB;
    const p99 = percentile(underFlood, 99);
    const diagnosis = `RSS ${Math.round(baseline / MiB)} -> peak ${Math.round(peak / MiB)} MiB; honest p99 idle ${percentile(idle, 99).toFixed(1)} ms, under flood ${p99.toFixed(1)} ms over ${underFlood.length} messages; frames written by the flooders: ${flooders.map((f) => f.sent).join(', ')}; closes: ${closes.map((c) => c?.code ?? 'none').join(', ')}`;
    console.log(diagnosis);
    assert.ok(growth < 100, `the server grew by ${growth.toFixed(0)} MiB under the flood: ${diagnosis}`);
    assert.ok(underFlood.every(Number.isFinite), `an honest message was not delivered in time: ${diagnosis}`);
    // Loose on purpose, so a slow disk's fsync cannot fail it (before the fix no message arrived
    // within 5 s); bench/flood.mjs measures the latency properly.
    assert.ok(p99 < 1_000, `honest p99 ${p99.toFixed(1)} ms under the flood: ${diagnosis}`);
    assert.deepEqual(closes.map((c) => c?.code), flooders.map(() => FLOODING), diagnosis);
    // The server is still whole: a newcomer registers.
    const newcomer = await WireClient.connect(server.url);
    await newcomer.register(`late${Date.now() % 100_000}`, makeIdentity());
    await newcomer.close();
  });
});

/**
 * An HTTP request with a body; resolves with the status and the parsed JSON answer. With
 * `declaredLength` the request announces that many bytes but sends only `body`, and waits for the
 * answer: a server that refuses the length at once answers without reading (sending it all would
 * race the server's close and end in EPIPE).
 */
function post(port: number, path: string, body: Buffer | string, contentType: string, declaredLength?: number): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const length = declaredLength ?? Buffer.byteLength(body);
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': contentType, 'content-length': length } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = text;
        }
        resolve({ status: res.statusCode ?? 0, json });
        if (declaredLength !== undefined) req.destroy();
      });
    });
    req.on('error', (error) => (declaredLength === undefined ? reject(error) : undefined));
    if (declaredLength === undefined) req.end(body);
    else req.write(body);
  });
}

/** The status a WebSocket upgrade got: 101 when it opened. */
function upgradeStatus(url: string, headers: Record<string, string>): Promise<{ status: number; socket?: WebSocket }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url.replace('http://', 'ws://') + '/v1/ws', { headers });
    socket.once('open', () => resolve({ status: 101, socket }));
    socket.once('unexpected-response', (_request, response) => {
      resolve({ status: response.statusCode ?? 0 });
      response.resume();
    });
    socket.once('error', () => resolve({ status: -1 }));
  });
}

describe('holes 8, 9 and 12: HTTP edge', () => {
  let server: ServerProcess;
  before(async () => {
    server = await ServerProcess.start(join(dir.path, 'edge'), ['--trust-proxy']);
  });
  after(() => server?.stop());

  test('slow request bodies, slow headers and silent sockets are cut off after the request timeout', async () => {
    const started = performance.now();
    const slow = [
      ...Array.from({ length: 40 }, () => new SlowRequest(server.port)),
      ...Array.from({ length: 10 }, () => new SlowRequest(server.port, { path: '/', headersOnly: true })),
      ...Array.from({ length: 10 }, () => new SlowRequest(server.port, { silent: true })),
    ];
    const deadline = sleep(20_000).then(() => 'still open');
    const outcome = await Promise.race([Promise.all(slow.map((s) => s.closed)), deadline]);
    for (const s of slow) s.destroy();
    assert.notEqual(outcome, 'still open', `slow requests still open after ${((performance.now() - started) / 1000).toFixed(0)} s`);
    // The server said why before closing (Node answers 408 to a request it timed out).
    assert.ok(slow.slice(0, 40).every((s) => s.answer.startsWith('HTTP/1.1 408')), slow[0]!.answer);
    // And it still serves.
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  });

  test('one address cannot hold more than its share of connections; a member from elsewhere still gets in', async () => {
    const cap = 256;
    const hoarder = { 'x-forwarded-for': '198.51.100.7' };
    const attempts = await Promise.all(Array.from({ length: cap + 20 }, () => upgradeStatus(server.url, hoarder)));
    const opened = attempts.filter((a) => a.status === 101);
    const refused = attempts.filter((a) => a.status === 503);
    try {
      assert.equal(opened.length, cap, `opened ${opened.length}, refused ${refused.length}, other ${attempts.length - opened.length - refused.length}`);
      assert.equal(refused.length, 20);
      // Plain HTTP from the hoarding address is refused as well; others are served.
      assert.equal((await fetch(`${server.url}/healthz`, { headers: hoarder })).status, 503);
      assert.equal((await fetch(`${server.url}/healthz`, { headers: { 'x-forwarded-for': '198.51.100.8' } })).status, 200);
      const member = await WireClient.connect(server.url, { headers: { 'x-forwarded-for': '198.51.100.8' } });
      await member.register(`member${Date.now() % 100_000}`, makeIdentity());
      await member.close();
    } finally {
      for (const a of opened) a.socket!.terminate();
    }
    // Once the hoarder lets go, its address may connect again.
    await sleep(200);
    assert.equal((await upgradeStatus(server.url, hoarder)).status, 101);
  });

  test('invalid JSON and oversized bodies get 400 and 413 with a code; nothing is logged at error level', async () => {
    const logged = server.logs.length;
    for (const path of ['/healthz', '/metrics', '/', '/v1/ws', '/no/such/path']) {
      const invalid = await post(server.port, path, '{"not json', 'application/json');
      assert.equal(invalid.status, 400, `${path}: ${JSON.stringify(invalid.json)}`);
      assert.deepEqual(Object.keys((invalid.json as { error: object }).error).sort(), ['code', 'message'], path);
      assert.equal((invalid.json as { error: { code: string } }).error.code, 'INVALID_JSON', path);
      const huge = await post(server.port, path, '{"a":"', 'application/json', 1024 * 1024 + 1);
      assert.equal(huge.status, 413, `${path}: ${JSON.stringify(huge.json)}`);
      assert.equal((huge.json as { error: { code: string } }).error.code, 'BODY_TOO_LARGE', path);
      const hugeText = await post(server.port, path, 'aaaa', 'text/plain', 1024 * 1024 + 1);
      assert.equal(hugeText.status, 413, path);
    }
    await sleep(100);
    const errorLines = server.logs.slice(logged).split('\n').filter((line) => /"level":(50|60)/.test(line));
    assert.deepEqual(errorLines, []);
  });

  test('a WebSocket upgrade from another origin is refused; the own origin and no origin are accepted', async () => {
    const own = `http://127.0.0.1:${server.port}`;
    const cases: [Record<string, string>, number][] = [
      [{}, 101],
      [{ origin: own }, 101],
      [{ origin: `https://127.0.0.1:${server.port}` }, 101],
      [{ origin: 'https://evil.example' }, 403],
      [{ origin: `http://127.0.0.1:${server.port + 1}` }, 403],
      [{ origin: `http://localhost:${server.port}` }, 403],
      [{ origin: 'null' }, 403],
      // Behind the trusted proxy the page's host is the one the proxy was asked for.
      [{ origin: 'https://chat.example.org', 'x-forwarded-host': 'chat.example.org' }, 101],
      [{ origin: 'https://evil.example', 'x-forwarded-host': 'chat.example.org' }, 403],
    ];
    for (const [headers, expected] of cases) {
      const outcome = await upgradeStatus(server.url, headers);
      outcome.socket?.terminate();
      assert.equal(outcome.status, expected, JSON.stringify(headers));
    }
    // A refused page learns nothing else, and the CLI's way (no Origin) keeps working for a session.
    const client = await WireClient.connect(server.url);
    errorOf(await client.request(FrameType.LIST_CONTACTS, {}), ErrorCode.NOT_AUTHENTICATED);
    await client.close();
  });
});
