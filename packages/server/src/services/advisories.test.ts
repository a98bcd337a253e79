import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import { AdvisorySchema, advisoryTranscript, ErrorCode, LIMITS } from '@sotto/protocol';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import { AdvisoryPusher, AdvisoryService, signedAdvisory } from './advisories.js';

function operatorKey(): { publicKey: Uint8Array; privateKey: KeyObject } {
  const pair = generateKeyPairSync('ed25519');
  const jwk = pair.publicKey.export({ format: 'jwk' });
  return { publicKey: new Uint8Array(Buffer.from(jwk.x!, 'base64url')), privateKey: pair.privateKey };
}

function advisory(privateKey: KeyObject, title = 'Update to 0.2.0', fields: { text?: string; fixedVersion?: string } = {}) {
  const bytes = toBinary(AdvisorySchema, create(AdvisorySchema, {
    id: new Uint8Array(16).map(() => Math.floor(Math.random() * 256)), publishedAt: BigInt(Date.now()), title,
    text: fields.text ?? 'A call-handling bug is fixed.', fixedVersion: fields.fixedVersion ?? '0.2.0',
  }));
  return signedAdvisory(bytes, new Uint8Array(sign(null, advisoryTranscript(bytes), privateKey)));
}

async function withService(run: (service: AdvisoryService) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sotto-advisories-'));
  const store = new SqliteStore({ path: join(dir, 'sotto.db') });
  try {
    await run(new AdvisoryService(store));
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('an advisory signed with the operator key is kept; the newest 20 are handed out, oldest first', () =>
  withService(async (service) => {
    const operator = operatorKey();
    assert.equal((await service.current()).key.byteLength, 0);
    await service.setKey(operator.publicKey);
    for (let i = 0; i < LIMITS.advisoriesKept + 2; i++) await service.publish(advisory(operator.privateKey, `advisory ${i}`));
    const board = await service.current();
    assert.deepEqual(board.key, operator.publicKey);
    assert.equal(board.advisories.length, LIMITS.advisoriesKept);
  }));

test('a wrong signature, bad fields or no key are refused with clear codes', () =>
  withService(async (service) => {
    const operator = operatorKey();
    const stranger = operatorKey();
    await assert.rejects(service.publish(advisory(operator.privateKey)), /No advisory key is set/);
    await service.setKey(operator.publicKey);
    await assert.rejects(service.publish(advisory(stranger.privateKey)), (e: { code?: ErrorCode }) => e.code === ErrorCode.BAD_SIGNATURE);
    await assert.rejects(service.publish(advisory(operator.privateKey, '')), (e: { code?: ErrorCode }) => e.code === ErrorCode.INVALID_ARGUMENT);
    await assert.rejects(service.publish(advisory(operator.privateKey, 'ok', { fixedVersion: 'next week' })), /1\.2\.3/);
    await assert.rejects(service.setKey(new Uint8Array(5)), /32-byte/);
    assert.equal((await service.current()).advisories.length, 0);
  }));

test('a new key drops advisories signed with the old one', () =>
  withService(async (service) => {
    const first = operatorKey();
    await service.setKey(first.publicKey);
    await service.publish(advisory(first.privateKey));
    await service.setKey(operatorKey().publicKey);
    assert.equal((await service.current()).advisories.length, 0);
  }));

test('the pusher sends only advisories published after it started', () =>
  withService(async (service) => {
    const operator = operatorKey();
    await service.setKey(operator.publicKey);
    await service.publish(advisory(operator.privateKey, 'before'));
    const pushed: string[] = [];
    const pusher = new AdvisoryPusher(service, (_key, a) => pushed.push(Buffer.from(a.signature).toString('hex')), (e) => { throw e; });
    await pusher.poll();
    assert.equal(pushed.length, 0);
    const later = advisory(operator.privateKey, 'after');
    await service.publish(later);
    await pusher.poll();
    await pusher.poll();
    assert.deepEqual(pushed, [Buffer.from(later.signature).toString('hex')]);
  }));
