/**
 * @module test/support/cli
 * Runs the real `sotto` CLI as a child process for a profile, with --json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { CLI } from './paths.js';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON lines. */
  readonly records: Record<string, unknown>[];
}

function parseLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export class Member {
  readonly profile: string;

  constructor(
    readonly name: string,
    baseDir: string,
  ) {
    this.profile = join(baseDir, name);
  }

  run(args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
    return runCli(['--profile', this.profile, '--json', ...args], options);
  }

  /** Runs and fails the test with the CLI's own words if it exits non-zero. */
  async ok(args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<Record<string, unknown>[]> {
    const result = await this.run(args, options);
    if (result.code !== 0) throw new Error(`sotto ${args.join(' ')} (as ${this.name}) exited ${result.code}: ${result.stderr}`);
    return result.records;
  }

  spawn(args: string[]): ChildProcess {
    return spawn(process.execPath, [CLI, '--profile', this.profile, '--json', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  }
}

export function runCli(args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sotto ${args.join(' ')} timed out\n${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, records: parseLines(stdout) });
    });
    child.stdin.end(options.input ?? '');
  });
}

export function messagesOf(records: Record<string, unknown>[]): { sender: string; body: string; conversation: string; messageId: string }[] {
  return records
    .filter((r) => r.type === 'message')
    .map((r) => ({ sender: String(r.sender), body: String(r.body), conversation: String(r.conversation), messageId: String(r.messageId) }));
}

/** Calls `onRecord` with each JSON line `stream` writes (a spawned CLI's --json stdout), as it arrives. */
export function onJsonLines(stream: Readable, onRecord: (record: { type: string; text?: string }) => void): void {
  let buffer = '';
  stream.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      onRecord(JSON.parse(line) as { type: string; text?: string });
    }
  });
}
