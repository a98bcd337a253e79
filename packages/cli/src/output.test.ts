/** @module output.test The CLI's error lines: the engine's surface-neutral text plus the CLI's own advice. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeClientDeps, WsTransport } from '@sotto/client-node';
import { ClientError, SottoClient } from '@sotto/core';
import { describeError, exitCodeFor } from './output.js';

test('an empty profile is reported with the command that fixes it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sotto-cli-output-'));
  const deps = nodeClientDeps({ profileDir: dir, logLevel: 'silent' });
  try {
    // The engine's own error, as any member command on a fresh profile meets it.
    const error = await SottoClient.open(deps).then(
      () => assert.fail('an empty profile opened'),
      (thrown: unknown) => thrown,
    );
    assert.ok(error instanceof ClientError && error.code === 'NOT_REGISTERED');
    assert.doesNotMatch(error.message, /sotto/, 'the engine names no command');
    const { code, message } = describeError(error);
    assert.equal(code, 'NOT_REGISTERED');
    assert.match(message, /^This device has no account yet\. Run "sotto register" first\.$/);
    assert.equal(exitCodeFor(error), 1);
  } finally {
    await deps.store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('codes without advice keep the engine text as it is', () => {
  assert.deepEqual(describeError(new ClientError('INVALID_INPUT', 'That is you.')), { code: 'INVALID_INPUT', message: 'That is you.' });
});

test("an unknown host and https:// to a plain server are told in the member's words, not the resolver's or OpenSSL's", async () => {
  const { createServer } = await import('node:http');
  // The errors the CLI's own transport meets, as it meets them.
  const failure = (url: string) =>
    new WsTransport().open(url, { onMessage: () => undefined, onClose: () => undefined }).then(
      (socket) => {
        socket.close();
        return new Error('opened');
      },
      (error: unknown) => error,
    );
  const unknownHost = await failure('ws://no-such-host.invalid:8080/v1/ws');
  assert.deepEqual(describeError(unknownHost), { code: 'UNREACHABLE', message: 'No server named no-such-host.invalid was found: check the address in --server.' });
  const plain = createServer((_, res) => res.end('plain'));
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  try {
    const port = (plain.address() as { port: number }).port;
    const tlsToPlain = await failure(`wss://127.0.0.1:${port}/v1/ws`);
    const described = describeError(tlsToPlain);
    assert.equal(described.code, 'UNREACHABLE', `got ${JSON.stringify(described)}`);
    assert.match(described.message, /does not speak TLS: use http:\/\//);
  } finally {
    plain.close();
  }
});
