/**
 * @module test/support/listener
 * A `sotto listen` child process whose JSON lines a scenario can wait for.
 */
import type { ChildProcess } from 'node:child_process';
import type { Member } from './cli.js';

export class Listener {
  readonly records: Record<string, unknown>[] = [];
  private buffer = '';
  stderr = '';
  private readonly waiters: { match: (r: Record<string, unknown>) => boolean; resolve: (r: Record<string, unknown>) => void }[] = [];
  private readonly child: ChildProcess;

  constructor(member: Member, args: string[]) {
    this.child = member.spawn(['listen', ...args]);
    this.child.stdout!.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString();
      let newline: number;
      while ((newline = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, newline);
        this.buffer = this.buffer.slice(newline + 1);
        if (!line.startsWith('{')) continue;
        const record = JSON.parse(line) as Record<string, unknown>;
        this.records.push(record);
        for (const waiter of [...this.waiters]) {
          if (waiter.match(record)) {
            this.waiters.splice(this.waiters.indexOf(waiter), 1);
            waiter.resolve(record);
          }
        }
      }
    });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  /** The first record (already seen or still to come) that matches. */
  waitFor(match: (r: Record<string, unknown>) => boolean, what: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    const seen = this.records.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`listen never printed ${what}:\n${JSON.stringify(this.records)}\n${this.stderr}`)), timeoutMs);
      this.waiters.push({ match, resolve: (r) => { clearTimeout(timer); resolve(r); } });
    });
  }

  ready(): Promise<Record<string, unknown>> {
    return this.waitFor((r) => r.type === 'connection' && r.state === 'ready', 'connection ready');
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGINT');
    await exited;
  }
}
