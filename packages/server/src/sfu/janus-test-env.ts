/**
 * @module sfu/janus-test-env
 * A private Janus (Debian's `/usr/bin/janus`) for tests: configured from scratch in a temp
 * directory with only the VideoRoom plugin and the WebSocket transport on 127.0.0.1, no admin
 * API, no event handlers, no STUN/TURN, a small fixed RTP port range, and the same shared secret
 * an operator would give Sotto (`--sfu-secret-file`) as Janus's `api_secret`,
 * `token_auth_secret` and the VideoRoom `admin_key`. `requireJanus` skips loudly when Janus is
 * missing, or fails under CI=true. test/support/janus-process.ts re-exports this for scenarios.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';

const JANUS_BIN = process.env.SOTTO_JANUS ?? '/usr/bin/janus';
const JANUS_LIB = process.env.SOTTO_JANUS_LIB ?? '/usr/lib/x86_64-linux-gnu/janus';
const START_TIMEOUT_MS = 15_000;

export interface JanusOptions {
  /** The shared secret; a fresh random one when absent. */
  readonly secret?: string;
  /** First of the RTP/RTCP ports Janus may use (100 of them); fixed so a firewall rule could name them. */
  readonly rtpPortMin?: number;
}

/** Undefined when Janus and its two modules are installed; otherwise why not. */
export function missingJanus(): string | undefined {
  if (!existsSync(JANUS_BIN)) return `janus not found at ${JANUS_BIN} (apt-get install janus)`;
  for (const module of ['plugins/libjanus_videoroom.so', 'transports/libjanus_websockets.so']) {
    if (!existsSync(join(JANUS_LIB, module))) return `Janus module ${module} not found under ${JANUS_LIB}`;
  }
  return undefined;
}

/** The node:test `skip` option: a loud reason outside CI; under CI=true a missing Janus fails. */
export function requireJanus(): { skip?: string } {
  const missing = missingJanus();
  if (!missing) return {};
  if (process.env.CI === 'true') throw new Error(`CI=true and Janus, which the SFU tests need, is missing: ${missing}`);
  process.stderr.write(`\n*** SKIPPING Janus SFU tests: ${missing} ***\n\n`);
  return { skip: missing };
}

/** Janus in the foreground on a free loopback port; `restart()` keeps port, secret and configuration. */
export class JanusProcess {
  private child: ChildProcess | undefined;

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly secret: string,
  ) {}

  static async start(options: JanusOptions = {}): Promise<JanusProcess> {
    const dir = mkdtempSync(join(tmpdir(), 'sotto-janus-'));
    const secret = options.secret ?? randomBytes(24).toString('base64url');
    const janus = new JanusProcess(dir, await freePort(), secret);
    janus.writeConfiguration(options.rtpPortMin ?? 40_000);
    await janus.spawn();
    return janus;
  }

  /** The WebSocket URL of Janus's (non-admin) API, as `sotto serve --sfu` takes it. */
  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** The running Janus's process id (benchmarks read its CPU time), if it is running. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get logFile(): string {
    return join(this.dir, 'janus.log');
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async spawn(): Promise<void> {
    const child = spawn(JANUS_BIN, ['-F', join(this.dir, 'conf'), '-C', join(this.dir, 'conf', 'janus.jcfg'), '-N', '-L', this.logFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`janus exited at start (${child.exitCode ?? child.signalCode}): ${stderr}${this.logTail()}`);
      if (await answersInfo(this.url)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    await this.stop();
    throw new Error(`janus did not accept connections within ${START_TIMEOUT_MS} ms:${this.logTail()}`);
  }

  /** SIGKILL, as a crash would: no goodbye to connected clients. */
  async kill(): Promise<void> {
    await this.end('SIGKILL');
  }

  async stop(): Promise<void> {
    await this.end('SIGTERM');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.spawn();
  }

  /** Stops Janus and removes its directory (configuration, log). */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async end(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
    this.child = undefined;
  }

  private logTail(): string {
    try {
      return `\n${readFileSync(this.logFile, 'utf8').split('\n').slice(-20).join('\n')}`;
    } catch {
      return '';
    }
  }

  private writeConfiguration(rtpPortMin: number): void {
    const conf = join(this.dir, 'conf');
    // Folders holding only the two modules we want: Janus loads every module it finds, so this
    // is stronger than a `disable` list that a new Debian release could outgrow.
    for (const [folder, module] of [
      ['plugins', 'libjanus_videoroom.so'],
      ['transports', 'libjanus_websockets.so'],
    ] as const) {
      mkdirSync(join(this.dir, folder), { recursive: true });
      symlinkSync(join(JANUS_LIB, folder, module), join(this.dir, folder, module));
    }
    mkdirSync(join(this.dir, 'events'));
    mkdirSync(join(this.dir, 'loggers'));
    mkdirSync(conf);
    writeFileSync(join(conf, 'janus.jcfg'), janusCoreConfig({ dir: this.dir, secret: this.secret, rtpPorts: `${rtpPortMin}-${rtpPortMin + 99}` }));
    writeFileSync(join(conf, 'janus.transport.websockets.jcfg'), janusWebSocketConfig(this.port));
    writeFileSync(join(conf, 'janus.plugin.videoroom.jcfg'), janusVideoRoomConfig(this.secret));
  }
}

/** janus.jcfg: signed tokens for members, the API secret for the Sotto server, nothing else on. */
export function janusCoreConfig(options: { dir: string; secret: string; rtpPorts: string }): string {
  const q = (s: string): string => JSON.stringify(s);
  return `general: {
  configs_folder = ${q(join(options.dir, 'conf'))}
  plugins_folder = ${q(join(options.dir, 'plugins'))}
  transports_folder = ${q(join(options.dir, 'transports'))}
  events_folder = ${q(join(options.dir, 'events'))}
  loggers_folder = ${q(join(options.dir, 'loggers'))}
  debug_level = 4
  server_name = "sotto-sfu"
  session_timeout = 60
  hide_dependencies = true
  exit_on_dl_error = true
  api_secret = ${q(options.secret)}
  token_auth = true
  token_auth_secret = ${q(options.secret)}
  admin_secret = ${q(randomBytes(24).toString('base64url'))}
  protected_folders = ["/bin", "/boot", "/dev", "/etc", "/initrd", "/lib", "/lib32", "/lib64", "/proc", "/sbin", "/sys", "/usr", "/var"]
}
media: {
  ipv6 = false
  rtp_port_range = ${q(options.rtpPorts)}
}
nat: {
  nice_debug = false
  ignore_mdns = true
  ice_enforce_list = "127.0.0.1"
}
events: {
  broadcast = false
}
`;
}

/** The WebSocket transport: the Janus API on loopback only, the admin API off. */
export function janusWebSocketConfig(port: number): string {
  return `general: {
  json = "compact"
  ws = true
  ws_port = ${port}
  ws_ip = "127.0.0.1"
  wss = false
  ws_logging = "err"
}
admin: {
  admin_ws = false
  admin_wss = false
}
`;
}

/** The VideoRoom: only holders of the admin key create rooms or forward RTP; no rooms at start. */
export function janusVideoRoomConfig(secret: string): string {
  return `general: {
  admin_key = ${JSON.stringify(secret)}
  lock_rtp_forward = true
  lock_play_file = true
}
`;
}

/** True when Janus answers a request on that URL. */
async function answersInfo(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, 'janus-protocol');
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.terminate();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 1_000);
    socket.on('open', () => socket.send(JSON.stringify({ janus: 'info', transaction: 'ready' })));
    // Any answer will do (without the API secret it is an error): Janus is listening and parsing.
    socket.on('message', (data) => done(String(data).includes('"transaction":"ready"')));
    socket.on('error', () => done(false));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** What Janus answered a participant: the VideoRoom's data, or a core or plugin error. */
export type JanusAnswer = { ok: true; data: Record<string, unknown>; jsep?: JanusJsep } | { ok: false; code: number; reason: string };

/** A session description as Janus carries it (`e2ee` marks SFrame-protected media). */
export interface JanusJsep {
  readonly type: 'offer' | 'answer';
  readonly sdp: string;
  readonly e2ee?: boolean;
}

/**
 * A member's side of the Janus API, raw over WebSocket (as a browser would speak it), so a
 * test can show what Janus itself lets a token holder do.
 */
export class JanusParticipant {
  private transactions = 0;
  private readonly trickles = new Set<string>();
  private readonly waiting = new Map<string, (message: Record<string, unknown>) => void>();
  private sessionId: number | undefined;
  private handleId: number | undefined;

  private constructor(
    private readonly socket: WebSocket,
    private readonly token: string,
  ) {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as Record<string, unknown>;
      // An ack only says a request arrived, except for trickle, whose only answer it is.
      if (message.janus === 'ack' && !this.trickles.has(String(message.transaction))) return;
      const resolve = this.waiting.get(String(message.transaction));
      if (resolve) {
        this.waiting.delete(String(message.transaction));
        resolve(message);
      }
    });
  }

  static async connect(url: string, token: string): Promise<JanusParticipant> {
    const socket = new WebSocket(url, 'janus-protocol');
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new JanusParticipant(socket, token);
  }

  /** Creates a session and attaches to the VideoRoom: the first two things Janus checks the token for. */
  async attach(): Promise<JanusAnswer> {
    return this.attachTo('janus.plugin.videoroom');
  }

  /** Creates a session and attaches to `plugin`. */
  async attachTo(plugin: string): Promise<JanusAnswer> {
    const created = await this.send({ janus: 'create' });
    if (created.janus !== 'success') return errorOf(created);
    this.sessionId = (created.data as { id: number }).id;
    const attached = await this.send({ janus: 'attach', session_id: this.sessionId, plugin });
    if (attached.janus !== 'success') return errorOf(attached);
    this.handleId = (attached.data as { id: number }).id;
    return { ok: true, data: {} };
  }

  /** Joins a room as a publisher with the given feed id, presenting the token to the VideoRoom. */
  async join(room: number, feedId: number, token: string): Promise<JanusAnswer> {
    return this.videoroom({ request: 'join', ptype: 'publisher', room, id: feedId, token });
  }

  /** Any VideoRoom request on this participant's handle, with a session description when negotiating. */
  async videoroom(body: Record<string, unknown>, jsep?: JanusJsep): Promise<JanusAnswer> {
    const answer = await this.send({ janus: 'message', session_id: this.sessionId, handle_id: this.handleId, body, ...(jsep ? { jsep } : {}) });
    if (answer.janus === 'error') return errorOf(answer);
    const data = (answer.plugindata as { data: Record<string, unknown> } | undefined)?.data ?? {};
    if (typeof data.error_code === 'number') return { ok: false, code: data.error_code, reason: String(data.error) };
    return { ok: true, data, ...(answer.jsep ? { jsep: answer.jsep as JanusJsep } : {}) };
  }

  /** Tells Janus that every candidate was in the description (no trickling). */
  async candidatesComplete(): Promise<void> {
    const answer = await this.send({ janus: 'trickle', session_id: this.sessionId, handle_id: this.handleId, candidate: { completed: true } });
    if (answer.janus !== 'ack' && answer.janus !== 'success') throw new Error(`Janus refused the end of candidates: ${JSON.stringify(answer)}`);
  }

  close(): void {
    this.socket.terminate();
  }

  private send(request: Record<string, unknown>): Promise<Record<string, unknown>> {
    const transaction = `t${++this.transactions}`;
    if (request.janus === 'trickle') this.trickles.add(transaction);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Janus did not answer ${String(request.janus)} within 5 s`)), 5_000);
      this.waiting.set(transaction, (message) => {
        clearTimeout(timer);
        resolve(message);
      });
      this.socket.send(JSON.stringify({ ...request, transaction, token: this.token }));
    });
  }
}

function errorOf(message: Record<string, unknown>): JanusAnswer {
  const error = (message.error ?? {}) as { code?: number; reason?: string };
  return { ok: false, code: error.code ?? 0, reason: error.reason ?? JSON.stringify(message) };
}
