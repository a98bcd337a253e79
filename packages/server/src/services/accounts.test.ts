/** @module services/accounts.test Registration, login proofs, versions and invites. */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { authTranscript, ErrorCode } from '@sotto/protocol';
import { ServerError } from '../errors.js';
import { makeIdentity } from '../gateway/wire-client.js';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import { AccountsService } from './accounts.js';
import { verifyEd25519 } from './signature.js';

const nonce = new Uint8Array(32).fill(7);
const rejectsWith = (promise: Promise<unknown>, code: ErrorCode) =>
  assert.rejects(promise, (error: unknown) => error instanceof ServerError && error.code === code);

describe('accounts service', () => {
  let store: SqliteStore;
  let now = 1_000_000;
  let accounts: AccountsService;

  beforeEach(() => {
    store = new SqliteStore({ path: ':memory:' });
    accounts = new AccountsService(store, { inviteOnly: false, now: () => now });
  });
  afterEach(() => store.close());

  function register(username: string, identity = makeIdentity(), inviteCode = '') {
    const signature = identity.sign(authTranscript(nonce, username, ''));
    return accounts.register({ username, identityKey: identity.publicKey, inviteCode, nonce, signature });
  }

  test('ed25519 verification accepts only the right key, data and signature', () => {
    const id = makeIdentity();
    const data = new Uint8Array([1, 2, 3]);
    const signature = id.sign(data);
    assert.equal(verifyEd25519(id.publicKey, data, signature), true);
    assert.equal(verifyEd25519(makeIdentity().publicKey, data, signature), false);
    assert.equal(verifyEd25519(id.publicKey, new Uint8Array([1, 2, 4]), signature), false);
    assert.equal(verifyEd25519(id.publicKey, data, signature.subarray(1)), false);
    assert.equal(verifyEd25519(new Uint8Array(31), data, signature), false);
  });

  test('register makes a 16-hex device id; login checks the device and its key', async () => {
    const identity = makeIdentity();
    const device = await register('alice', identity);
    assert.match(device.deviceId, /^[0-9a-f]{16}$/);
    const login = (signer = identity, deviceId = device.deviceId) =>
      accounts.login({ username: 'alice', deviceId, nonce, signature: signer.sign(authTranscript(nonce, 'alice', deviceId)) });
    assert.equal((await login()).deviceId, device.deviceId);
    await rejectsWith(login(makeIdentity()), ErrorCode.BAD_SIGNATURE);
    await rejectsWith(login(identity, '0000000000000000'), ErrorCode.UNKNOWN_DEVICE);
  });

  test('register validates the username, the key size and the proof', async () => {
    await rejectsWith(register('A'), ErrorCode.INVALID_ARGUMENT);
    const identity = makeIdentity();
    await rejectsWith(
      accounts.register({ username: 'bob', identityKey: identity.publicKey.subarray(1), inviteCode: '', nonce, signature: identity.sign(authTranscript(nonce, 'bob', '')) }),
      ErrorCode.INVALID_ARGUMENT,
    );
    // Signed for another name: the transcript binds the username.
    await rejectsWith(
      accounts.register({ username: 'bob', identityKey: identity.publicKey, inviteCode: '', nonce, signature: identity.sign(authTranscript(nonce, 'eve', '')) }),
      ErrorCode.BAD_SIGNATURE,
    );
    const bobKey = makeIdentity();
    const bob = await register('bob', bobKey);
    await rejectsWith(register('bob'), ErrorCode.USERNAME_TAKEN);
    // A retry with the same key (the first answer was lost) gets the same device, not a second one.
    assert.equal((await register('bob', bobKey)).deviceId, bob.deviceId);
    assert.equal((await store.listDevices('bob')).length, 1);
  });

  test('the minimum client version refuses older and unversioned clients, naming the version needed', async () => {
    await accounts.checkClientVersion('0.0.1');
    await accounts.setMinClientVersion('1.2.0');
    await accounts.checkClientVersion('1.2.0');
    await accounts.checkClientVersion('1.10.0');
    await assert.rejects(accounts.checkClientVersion('1.1.9'), (error: unknown) => {
      assert.ok(error instanceof ServerError);
      assert.equal(error.code, ErrorCode.UPDATE_REQUIRED);
      assert.match(error.message, /needs Sotto 1\.2\.0 or newer; this client is 1\.1\.9/);
      return true;
    });
    await rejectsWith(accounts.checkClientVersion('banana'), ErrorCode.UPDATE_REQUIRED);
    await rejectsWith(accounts.setMinClientVersion('1.2'), ErrorCode.INVALID_ARGUMENT);
  });

  test('invites: required when configured or set, single use, and they expire', async () => {
    assert.equal(await accounts.inviteRequired(), false);
    await accounts.setInviteOnly(true);
    assert.equal(await accounts.inviteRequired(), true);
    await rejectsWith(register('carol'), ErrorCode.INVITE_REQUIRED);
    const code = await accounts.createInvite(1);
    assert.match(code, /^[A-Za-z0-9_-]{16}$/);
    await register('carol', makeIdentity(), code);
    await rejectsWith(register('dave', makeIdentity(), code), ErrorCode.INVITE_REQUIRED);
    const late = await accounts.createInvite(1);
    now += 86_400_001;
    await rejectsWith(register('dave', makeIdentity(), late), ErrorCode.INVITE_REQUIRED);
    await rejectsWith(accounts.createInvite(0), ErrorCode.INVALID_ARGUMENT);
    assert.equal(await new AccountsService(store, { inviteOnly: true, now: () => now }).inviteRequired(), true);
  });
});
