/**
 * @module test/support/server-process
 * A real `sotto serve` child process on 127.0.0.1, on a fixed free port so
 * that clients can reconnect to it after a kill -9 and restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { CLI } from './paths.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export class ServerProcess {
  private child: ChildProcess | undefined;
  /** Everything the server wrote to stdout and stderr, across restarts. */
  logs = '';

  private constructor(
    readonly dataDir: string,
    readonly port: number,
    private readonly extraArgs: string[],
  ) {}

  static async start(dataDir: string, extraArgs: string[] = []): Promise<ServerProcess> {
    const server = new ServerProcess(dataDir, await freePort(), extraArgs);
    await server.spawn();
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async spawn(): Promise<void> {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', String(this.port), '--data', this.dataDir, '--log-level', 'info', ...this.extraArgs], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${this.logs}`)), 20_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        this.logs += chunk.toString();
        if (this.logs.includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr!.on('data', (chunk: Buffer) => (this.logs += chunk.toString()));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`server exited with ${code}:\n${this.logs}`));
      });
    });
  }

  /** SIGKILL: no shutdown hooks, no flush — what a crash or power cut looks like to the process. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    this.child = undefined;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    this.child = undefined;
  }
}
