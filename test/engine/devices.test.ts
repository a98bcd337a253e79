/**
 * Linked devices, engine to engine, against the in-memory server: one account on two devices,
 * both in every 1:1 and group conversation; what one device sends or reads shows on the other;
 * contacts hear of the new device; removing a device takes it out of every conversation, and it
 * reads nothing after; a code works once and only for a few minutes; bad codes are refused.
 *
 * @paired It may run beside one other @paired scenario (scripts/run-tests.mjs): it times no media
 *   and restarts no shared service.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientError, RemoteError, SottoClient, type DeviceListChange } from '@sotto/core';
import { startInMemoryServer } from '@sotto/server/in-memory';
import { inMemoryClientDeps, registerMember, startInMemoryWorld, until, type InMemoryWorld } from '../support/in-memory-members.js';
import { makeContacts, untilJoined } from '../support/member-steps.js';
import { internalsOf } from '../support/engine-internals.js';
import { randomBytes } from 'node:crypto';
import { AppContentSchema, create } from '@sotto/protocol';

const NAMES = ['ada', 'bob', 'cyd'] as const;
let world: InMemoryWorld;
const extra: SottoClient[] = [];
let direct: string;
let group: string;

before(async () => {
  world = await startInMemoryWorld(NAMES);
  await makeContacts(member('ada'), member('bob'));
  await makeContacts(member('ada'), member('cyd'));
  await makeContacts(member('bob'), member('cyd'));
  direct = await member('ada').openDirect('bob');
  group = (await member('ada').createGroup('book club', ['bob', 'cyd'])).groupId;
  await untilJoined(member('bob'), direct);
  await untilJoined(member('cyd'), group);
  await member('bob').sendText(direct, 'before the link');
  await until('ada to have it', async () => (await bodies(member('ada'), direct)).includes('before the link'));
});
after(async () => {
  for (const client of extra) await client.close();
  await world?.close();
});

function member(name: (typeof NAMES)[number]): SottoClient {
  return world.members[NAMES.indexOf(name)]!;
}

const bodies = async (client: SottoClient, groupId: string) => (await client.listMessages(groupId)).map((m) => m.body);
const code = (error: unknown, expected: string) =>
  (error instanceof RemoteError && error.wireName === expected) || (error instanceof ClientError && error.code === expected);

/** Links a new in-memory device to `existing`'s account; returns it and what the existing device reported. */
async function linkDevice(existing: SottoClient, options: { history?: boolean } = {}) {
  const link = await existing.devices.link(options);
  const [device, linked] = await Promise.all([SottoClient.joinWithLink(inMemoryClientDeps(world.server), world.server.url, link.code), link.linked]);
  extra.push(device);
  return { device, linked, code: link.code };
}

let ada2: SottoClient;
let ada2Id: string;
const bobHeard: DeviceListChange[] = [];

test('a new device joins with the code, is put in every conversation of the account, and gets the history it was offered', async () => {
  member('bob').events.didChangeDevices.event((change) => bobHeard.push(change));
  const { device, linked } = await linkDevice(member('ada'), { history: true });
  ada2 = device;
  ada2Id = device.identity.deviceId;
  assert.equal(device.identity.username, 'ada');
  assert.equal(linked.deviceId, ada2Id);
  // The 1:1s that accepting set up with bob and cyd, and the group.
  assert.equal(linked.conversations, 3);
  const withCyd = (await member('ada').findDirect('cyd'))!;
  await untilJoined(ada2, direct);
  await untilJoined(ada2, group);
  await untilJoined(ada2, withCyd);
  const names = Object.fromEntries((await ada2.listConversations()).map((c) => [c.groupId, `${c.kind}:${c.name}`]));
  assert.deepEqual(names, { [direct]: 'direct:bob', [withCyd]: 'direct:cyd', [group]: 'group:book club' });
  const history = (await ada2.listMessages(direct)).find((m) => m.body === 'before the link');
  assert.equal(history?.sender, 'bob', 'the earlier message came with the bundle');
  assert.equal(history?.status, 'delivered', 'unread on the phone, so unread here');
  assert.deepEqual((await member('ada').devices.list()).map((d) => d.deviceId).sort(), [member('ada').identity.deviceId, ada2Id].sort());
  assert.deepEqual((await ada2.devices.list()).find((d) => d.thisDevice)?.deviceId, ada2Id);
});

test("contacts hear that ada linked a device, and their messages reach both of ada's devices once", async () => {
  await until('bob to hear of the new device', async () => bobHeard.some((c) => c.username === 'ada' && c.added.includes(ada2Id)));
  await member('bob').sendText(direct, 'to both of you');
  await member('cyd').sendText(group, 'hello club');
  for (const device of [member('ada'), ada2]) {
    await until(`${device.identity.deviceId} to read bob's message`, async () => (await bodies(device, direct)).includes('to both of you'));
    await until(`${device.identity.deviceId} to read cyd's message`, async () => (await bodies(device, group)).includes('hello club'));
  }
  assert.equal((await bodies(ada2, direct)).filter((b) => b === 'to both of you').length, 1);
});

test('a message sent from one device shows as sent on the other, and the contact gets it once', async () => {
  await ada2.sendText(direct, 'sent from the laptop');
  await until('bob to get it', async () => (await bodies(member('bob'), direct)).includes('sent from the laptop'));
  await until("ada's phone to show it", async () => (await bodies(member('ada'), direct)).includes('sent from the laptop'));
  const onPhone = (await member('ada').listMessages(direct)).find((m) => m.body === 'sent from the laptop')!;
  assert.equal(onPhone.outgoing, true, 'shown as sent by this account');
  assert.equal(onPhone.senderDevice, ada2Id);
  assert.equal((await bodies(member('bob'), direct)).filter((b) => b === 'sent from the laptop').length, 1);
});

test('reading on one device clears unread on the other', async () => {
  await member('bob').sendText(direct, 'unread until ada reads');
  await until('both of ada to have it', async () =>
    (await bodies(member('ada'), direct)).includes('unread until ada reads') && (await bodies(ada2, direct)).includes('unread until ada reads'));
  assert.ok((await member('ada').unreadCount(direct)) > 0);
  await ada2.markRead(direct);
  await until("the phone's unread to clear", async () => (await member('ada').unreadCount(direct)) === 0);
});

test('a conversation started after the link includes both devices from the start', async () => {
  const fresh = (await member('cyd').createGroup('after the link', ['ada'])).groupId;
  await untilJoined(member('ada'), fresh);
  await untilJoined(ada2, fresh);
  await member('cyd').sendText(fresh, 'both of you again');
  await until('the laptop to read it', async () => (await bodies(ada2, fresh)).includes('both of you again'));
});

test('a code works once: using it again is refused, and nothing is stored on the second device', async () => {
  const link = await member('cyd').devices.link();
  const first = SottoClient.joinWithLink(inMemoryClientDeps(world.server), world.server.url, link.code);
  const [joined] = await Promise.all([first, link.linked]);
  extra.push(joined);
  const deps = inMemoryClientDeps(world.server);
  await assert.rejects(SottoClient.joinWithLink(deps, world.server.url, link.code), (error: unknown) => code(error, 'LINK_INVALID'));
  assert.equal(await deps.store.getIdentity(), undefined);
});

test('a malformed code is refused before anything is sent', async () => {
  const deps = inMemoryClientDeps(world.server);
  await assert.rejects(SottoClient.joinWithLink(deps, world.server.url, 'not-a-code'), (error: unknown) => code(error, 'INVALID_INPUT'));
  await assert.rejects(SottoClient.joinWithLink(deps, world.server.url, 'a'.repeat(52)), (error: unknown) => code(error, 'LINK_INVALID'));
  assert.equal(await deps.store.getIdentity(), undefined);
});

test('settings follow the devices: a change on either device is made on the other; only the account\'s own devices can send one', async () => {
  const relayOnly = async (client: SottoClient) => (await client.getSettings()).relayOnlyCalls;
  await ada2.updateSettings({ relayOnlyCalls: true });
  await until("the phone to take the laptop's setting", async () => (await relayOnly(member('ada'))) === true);
  await member('ada').updateSettings({ relayOnlyCalls: false });
  await until("the laptop to take the phone's setting", async () => (await relayOnly(ada2)) === false);
  // The conversation that carries them is no chat.
  for (const client of [member('ada'), ada2]) assert.ok((await client.listConversations()).every((c) => c.kind !== 'self'));
  // A contact cannot set them: bob's SettingsSync in his 1:1 with ada is dropped.
  const drops: string[] = [];
  const subscription = member('ada').events.didDrop.event((d) => drops.push(d.reason));
  const content = create(AppContentSchema, { messageId: randomBytes(16), sentAt: BigInt(Date.now()), body: { case: 'settingsSync', value: { relayOnlyCalls: true } } });
  await (internalsOf(member('bob')) as unknown as { send(c: { groupId: string }, content: unknown): Promise<void> }).send({ groupId: direct }, content);
  await until('the drop at ada', async () => drops.includes("settings from outside the account's own devices"));
  subscription();
  assert.equal(await relayOnly(member('ada')), false);
});

test('read receipts off (set on one device, followed by the other): the contact is not told, and does not tell; unread still clears on both devices', async () => {
  await ada2.updateSettings({ readReceipts: false });
  await until('the phone to follow', async () => (await member('ada').getSettings()).readReceipts === false);
  const incoming = await member('bob').sendText(direct, 'did you read this?');
  await until('both of ada\'s devices to have it', async () => (await bodies(member('ada'), direct)).includes('did you read this?') && (await bodies(ada2, direct)).includes('did you read this?'));
  await member('ada').markRead(direct);
  await until('the laptop to clear it too', async () => (await ada2.unreadCount(direct)) === 0);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const atBob = (await member('bob').listMessages(direct, 500)).find((m) => m.messageId === incoming.messageId);
  assert.equal(atBob?.status, 'delivered', 'bob is not told ada read it');
  // And bob's READ of ada's message shows as delivered only at ada.
  const outgoing = await member('ada').sendText(direct, 'yes');
  await until('bob to have it', async () => (await bodies(member('bob'), direct)).includes('yes'));
  await member('bob').markRead(direct);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const mine = (await member('ada').listMessages(direct, 500)).find((m) => m.messageId === outgoing.messageId);
  assert.equal(mine?.status, 'delivered');
  await member('ada').updateSettings({ readReceipts: true });
  await until('the laptop to follow back', async () => (await ada2.getSettings()).readReceipts !== false);
});

test('mute, archive and pin follow the devices; a mute ends at its time', async () => {
  const hour = Date.now() + 3_600_000;
  await ada2.setChatFlags(direct, { mutedUntil: hour, pinned: true });
  await ada2.setChatFlags(group, { archived: true, mutedUntil: -1 });
  await until('the phone to follow', async () => (await member('ada').chatFlags(group)).archived);
  assert.deepEqual(await member('ada').chatFlags(direct), { muted: true, mutedUntil: hour, archived: false, pinned: true });
  assert.deepEqual(await member('ada').chatFlags(group), { muted: true, mutedUntil: -1, archived: true, pinned: false });
  await member('ada').setChatFlags(group, { archived: false, mutedUntil: null });
  await until('the laptop to follow back', async () => !(await ada2.chatFlags(group)).archived);
  assert.equal((await ada2.chatFlags(group)).muted, false);
  // A mute whose time has passed is no mute.
  await member('ada').setChatFlags(direct, { mutedUntil: Date.now() - 1 });
  assert.equal((await member('ada').chatFlags(direct)).muted, false);
  await assert.rejects(member('ada').setChatFlags(direct, { mutedUntil: 1.5 }), (error: unknown) => error instanceof ClientError && error.code === 'INVALID_INPUT');
});

test('removing a device takes it out of every conversation; it reads nothing after, and cannot log in', async () => {
  const removed = await member('ada').devices.remove(ada2Id);
  // The two direct chats, the two groups, and the conversation of ada's own devices.
  assert.equal(removed, 5);
  await until('bob to hear of the removal', async () => bobHeard.some((c) => c.username === 'ada' && c.removed.includes(ada2Id)));
  await member('bob').sendText(direct, 'after the removal');
  await until("ada's phone to read it", async () => (await bodies(member('ada'), direct)).includes('after the removal'));
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.ok(!(await bodies(ada2, direct)).includes('after the removal'), 'the removed device read nothing new');
  await ada2.close();
  const again = await SottoClient.open(inMemoryClientDepsFor(ada2));
  await assert.rejects(again.connect(), (error: unknown) => code(error, 'UNKNOWN_DEVICE'));
  await again.close();
  assert.deepEqual((await member('ada').devices.list()).map((d) => d.deviceId), [member('ada').identity.deviceId]);
});

test('the last device cannot be removed, and a device cannot remove itself', async () => {
  await assert.rejects(member('bob').devices.remove(member('bob').identity.deviceId), (error: unknown) => code(error, 'INVALID_INPUT'));
  await assert.rejects(member('bob').devices.remove('abcdef'), (error: unknown) => code(error, 'INVALID_INPUT'));
});

test('a code expires after five minutes', async () => {
  let now = Date.now();
  const server = startInMemoryServer({ now: () => now });
  try {
    const eve = await registerMember(server, 'eve');
    const link = await eve.devices.link();
    link.linked.catch(() => undefined);
    now += 5 * 60_000 + 1;
    const deps = inMemoryClientDeps(server);
    await assert.rejects(SottoClient.joinWithLink(deps, server.url, link.code), (error: unknown) => code(error, 'LINK_INVALID'));
    await eve.close();
  } finally {
    await server.close();
  }
});

/** The deps of an existing in-memory device, to open its profile again. */
function inMemoryClientDepsFor(client: SottoClient) {
  return (client as unknown as { deps: Parameters<typeof SottoClient.open>[0] }).deps;
}

test('a lying server that offers a device the account never listed gets it nowhere: it is not added, and the member is warned', async () => {
  const { loadCiphersuite, MlsContext } = await import('@sotto/core');
  const { ClaimedKeyPackageSchema, create, decodeFrame, encodeFrame, FrameType } = await import('@sotto/protocol');
  // The ghost: a real key package for "ada:<new id>", made with a key the server holds.
  const impl = await loadCiphersuite();
  const ghostKey = await impl.signature.keygen();
  const ghostId = 'deadbeefdeadbeef';
  const ghost = await new MlsContext(impl, async () => true).generateKeyPackage({ username: 'ada', deviceId: ghostId }, ghostKey);
  const claims = new Map<number, string>();
  const lying: typeof world.server.transport = {
    async open(url, handlers) {
      const socket = await world.server.transport.open(url, {
        ...handlers,
        onMessage(data) {
          const frame = decodeFrame(data);
          if (frame.type === FrameType.RESPONSE && frame.body.result.case === 'claimKeyPackages' && claims.get(frame.id) === 'ada') {
            frame.body.result.value.packages.push(create(ClaimedKeyPackageSchema, { deviceId: ghostId, identityKey: ghostKey.publicKey, keyPackage: ghost.encoded }));
            return handlers.onMessage(encodeFrame(FrameType.RESPONSE, frame.id, frame.body));
          }
          handlers.onMessage(data);
        },
      });
      return {
        ...socket,
        send(data: Uint8Array) {
          const frame = decodeFrame(data);
          if (frame.type === FrameType.CLAIM_KEY_PACKAGES) claims.set(frame.id, frame.body.username);
          socket.send(data);
        },
        close: (code?: number, reason?: string) => socket.close(code, reason),
      };
    },
  };
  const dee = await registerMember(world.server, 'dee', { transport: lying });
  extra.push(dee);
  const warnings: string[] = [];
  dee.events.didWarnDevices.event((w) => warnings.push(w.reason));
  const { makeContacts: befriend } = await import('../support/member-steps.js');
  // dee accepts, so dee's device sets up the 1:1 and claims ada's key packages through the lie.
  await befriend(member('ada'), dee);
  const chat = await dee.openDirect('ada');
  assert.ok(claims.size > 0, 'the lie was told');
  const conversation = (await dee.listConversations()).find((c) => c.groupId === chat)!;
  const { membersOf } = await import('@sotto/core');
  const devices = membersOf(new MlsContext(impl, async () => true).decodeState(conversation.state)).map((m) => `${m.username}:${m.deviceId}`);
  assert.ok(!devices.includes(`ada:${ghostId}`), `the ghost is not in the conversation: ${devices.join(', ')}`);
  assert.ok(devices.includes(`ada:${member('ada').identity.deviceId}`));
  assert.match(warnings.join('\n'), /not in their signed device list/);
  await dee.sendText(chat, 'only ada reads this');
  await until('ada to read it', async () => (await bodies(member('ada'), chat)).includes('only ada reads this'));
});

test('at most five devices: a sixth link is refused, and open links count until they are used or expire', async () => {
  const fay = await registerMember(world.server, 'fay');
  extra.push(fay);
  // Four open links and the device itself make five: the server refuses a fifth link.
  const open = [];
  for (let i = 0; i < 4; i++) {
    const link = await fay.devices.link();
    link.linked.catch(() => undefined);
    open.push(link);
  }
  await assert.rejects(fay.devices.link(), (error: unknown) => code(error, 'DEVICE_LIMIT'));
  // Using them: five devices, and then even this device's own check refuses before asking.
  for (const link of open) {
    const [device] = await Promise.all([SottoClient.joinWithLink(inMemoryClientDeps(world.server), world.server.url, link.code), link.linked]);
    extra.push(device);
  }
  assert.equal((await fay.devices.list()).length, 5);
  await assert.rejects(fay.devices.link(), (error: unknown) => code(error, 'INVALID_INPUT') || code(error, 'DEVICE_LIMIT'));
});

test('a contact sees the link and the removal as notices stored in the chat, never unread', async () => {
  const bob = member('bob');
  const notices = (await bob.listMessages(direct, 500)).filter((m) => m.notice === 'devices');
  assert.deepEqual(notices.map((m) => m.body), ['ada linked a new device', 'ada removed a device']);
  // Stored as read, so they never count as unread and are never named in a read receipt.
  assert.ok(notices.every((m) => m.sender === 'ada' && m.status === 'read' && !m.outgoing));
});
