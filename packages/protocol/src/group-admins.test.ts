import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create, toBinary } from '@bufbuild/protobuf';
import { ErrorCode, GroupAdminsSchema } from './gen/sotto/v1/wire_pb.js';
import { ProtocolError } from './errors.js';
import { decodeGroupAdmins, encodeGroupAdmins, GROUP_ADMINS_EXTENSION, GROUP_ADMINS_MAX_BYTES } from './group-admins.js';
import { LIMITS } from './limits.js';

const code = (c: ErrorCode) => (error: unknown) => error instanceof ProtocolError && error.code === c;

test('group admins round-trip sorted; the extension type is private use', () => {
  assert.ok(GROUP_ADMINS_EXTENSION >= 0xf000 && GROUP_ADMINS_EXTENSION <= 0xffff);
  assert.deepEqual(decodeGroupAdmins(encodeGroupAdmins(['carol', 'alice'])), ['alice', 'carol']);
  const most = Array.from({ length: LIMITS.groupAdminsMax }, (_, i) => `${'u'.repeat(LIMITS.usernameMaxLength - 2)}${String(i).padStart(2, '0')}`);
  assert.ok(encodeGroupAdmins(most).byteLength <= GROUP_ADMINS_MAX_BYTES);
});

test('group admins refuse an empty list, too many, a bad name, a repeat and an unsorted list', () => {
  assert.throws(() => encodeGroupAdmins([]), code(ErrorCode.INVALID_ARGUMENT));
  assert.throws(() => encodeGroupAdmins(Array.from({ length: LIMITS.groupAdminsMax + 1 }, (_, i) => `user${i}`)), code(ErrorCode.INVALID_ARGUMENT));
  assert.throws(() => encodeGroupAdmins(['Alice']), code(ErrorCode.INVALID_ARGUMENT));
  assert.throws(() => encodeGroupAdmins(['alice', 'alice']), code(ErrorCode.INVALID_ARGUMENT));
  const unsorted = toBinary(GroupAdminsSchema, create(GroupAdminsSchema, { accounts: ['bob', 'alice'] }));
  assert.throws(() => decodeGroupAdmins(unsorted), code(ErrorCode.INVALID_ARGUMENT));
  assert.throws(() => decodeGroupAdmins(new Uint8Array()), code(ErrorCode.INVALID_ARGUMENT));
});

test('group admins check the size before decoding, and refuse bytes that do not decode', () => {
  assert.throws(() => decodeGroupAdmins(new Uint8Array(GROUP_ADMINS_MAX_BYTES + 1)), code(ErrorCode.FRAME_TOO_LARGE));
  assert.throws(() => decodeGroupAdmins(new Uint8Array([0x0a, 0x05, 0x61])), code(ErrorCode.FRAME_MALFORMED));
});
