/**
 * @module test/support/services
 * Real services for cluster scenarios: a private nats-server (restartable),
 * nginx rendered from deploy/nginx/sotto-cluster.conf.template, and a fresh
 * PostgreSQL database per run on the machine's server. When one is missing,
 * `requireServices` skips with a loud reason, or fails under CI=true.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './server-process.js';
import { REPO_ROOT } from './paths.js';

export const POSTGRES_ADMIN_URL = process.env.SOTTO_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const NATS_BIN = process.env.SOTTO_NATS_SERVER ?? '/usr/sbin/nats-server';
const NGINX_BIN = process.env.SOTTO_NGINX ?? '/usr/sbin/nginx';

/** Undefined when everything needed is there; otherwise why not. */
export async function missingServices(): Promise<string | undefined> {
  if (!existsSync(NATS_BIN)) return `nats-server not found at ${NATS_BIN}`;
  if (!existsSync(NGINX_BIN)) return `nginx not found at ${NGINX_BIN} (apt-get install nginx-light)`;
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    return `PostgreSQL unreachable at ${POSTGRES_ADMIN_URL}: ${(error as Error).message}`;
  } finally {
    await client.end().catch(() => undefined);
  }
  return undefined;
}

/** The node:test `skip` option: a loud reason outside CI; under CI=true a missing service fails. */
export async function requireServices(): Promise<{ skip?: string }> {
  const missing = await missingServices();
  if (!missing) return {};
  if (process.env.CI === 'true') throw new Error(`CI=true and a service the cluster tests need is missing: ${missing}`);
  process.stderr.write(`\n*** SKIPPING cluster scenario: ${missing} ***\n\n`);
  return { skip: missing };
}

/** Like `requireServices`, for scenarios that need only PostgreSQL. */
export async function requirePostgres(): Promise<{ skip?: string }> {
  const missing = await missingServicesPostgresOnly();
  if (!missing) return {};
  const reason = `PostgreSQL unreachable at ${POSTGRES_ADMIN_URL}: ${missing}`;
  if (process.env.CI === 'true') throw new Error(`CI=true and PostgreSQL is missing: ${reason}`);
  process.stderr.write(`\n*** SKIPPING PostgreSQL scenario: ${reason} ***\n\n`);
  return { skip: reason };
}

export class TestDatabase {
  private constructor(readonly name: string) {}

  static async create(): Promise<TestDatabase> {
    const name = `sotto_cluster_${Date.now().toString(36)}_${process.pid}`;
    const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await client.connect();
    await client.query(`CREATE DATABASE ${name}`);
    await client.end();
    return new TestDatabase(name);
  }

  get url(): string {
    const url = new URL(POSTGRES_ADMIN_URL);
    url.pathname = `/${this.name}`;
    return url.toString();
  }

  async drop(): Promise<void> {
    const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`);
    await client.end();
  }
}

/** Restarts the machine's PostgreSQL cluster (as an operator would), waiting until it accepts connections again. */
export async function restartPostgres(): Promise<void> {
  const versions = spawnSync('ls', ['/etc/postgresql'], { encoding: 'utf8' }).stdout.trim().split('\n');
  const result = spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', versions[0]!, 'main', 'restart'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`pg_ctlcluster restart failed: ${result.stderr}`);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (!(await missingServicesPostgresOnly())) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('PostgreSQL did not come back within 30 s');
}

async function missingServicesPostgresOnly(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A nats-server of our own, with JetStream, on a free loopback port. */
export class NatsProcess {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly storeDir: string,
  ) {}

  static async start(storeDir: string): Promise<NatsProcess> {
    const nats = new NatsProcess(await freePort(), storeDir);
    await nats.spawn();
    return nats;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async spawn(): Promise<void> {
    mkdirSync(this.storeDir, { recursive: true });
    const child = spawn(NATS_BIN, ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nats-server did not start: ${log}`)), 10_000);
      child.stderr!.on('data', (c: Buffer) => {
        log += c.toString();
        if (log.includes('Server is ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`nats-server exited ${code}: ${log}`)));
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    this.child = undefined;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.spawn();
  }
}

/** nginx in the foreground, configured from the shipped template. */
export class NginxProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(prefix: string, nodePorts: number[]): Promise<NginxProcess> {
    mkdirSync(prefix, { recursive: true });
    const port = await freePort();
    const template = readFileSync(join(REPO_ROOT, 'deploy/nginx/sotto-cluster.conf.template'), 'utf8');
    const config = template
      .replaceAll('{{PREFIX}}', prefix)
      .replaceAll('{{LISTEN}}', `127.0.0.1:${port}`)
      .replaceAll('{{NODES}}', nodePorts.map((p) => `        server 127.0.0.1:${p} max_fails=1 fail_timeout=2s;`).join('\n'));
    const file = join(prefix, 'nginx.conf');
    writeFileSync(file, config);
    const child = spawn(NGINX_BIN, ['-p', prefix, '-c', file, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const nginx = new NginxProcess(child, port);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`nginx exited at start: ${stderr}`);
      try {
        if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return nginx;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('nginx did not start');
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGQUIT');
    await exited;
  }
}
