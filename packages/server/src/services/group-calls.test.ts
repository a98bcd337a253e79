/**
 * @module services/group-calls.test
 * Group calls at the SFU over the in-memory server and a real Janus (Debian's): a member's device
 * joining gets a ticket that really opens the group's room at Janus, the group's other members get
 * the same room, a stranger or a malformed request gets nothing, leaving withdraws the admission
 * and the last one out ends the room; a server without an SFU refuses with NO_SFU.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ContactAction, ErrorCode, FrameType, type GroupCallTicket } from '@sotto/protocol';
import { startInMemoryServer, type InMemoryServer } from '../in-memory-server.js';
import { WireClient, errorOf, makeIdentity, resultOf } from '../gateway/wire-client.js';
import { JanusParticipant, JanusProcess, requireJanus } from '../sfu/janus-test-env.js';

const skip = requireJanus();

interface Member {
  readonly client: WireClient;
  readonly username: string;
  readonly deviceId: string;
}

async function member(server: InMemoryServer, username: string, clients: WireClient[]): Promise<Member> {
  const client = await WireClient.connectOver(server.transport, server.url);
  clients.push(client);
  const hello = await client.register(username, makeIdentity());
  return { client, username, deviceId: hello.deviceId };
}

/** `a` asks `b`, `b` accepts: a group of theirs needs them to be contacts. */
async function befriend(a: Member, b: Member): Promise<void> {
  resultOf(await a.client.request(FrameType.CONTACT_REQUEST, { toUsername: b.username, text: 'hi' }), 'ok');
  resultOf(await b.client.request(FrameType.CONTACT_RESPOND, { username: a.username, action: ContactAction.ACCEPT }), 'ok');
}

/** What Janus says when a participant presents the ticket: joined, or why not. */
async function joinAtJanus(ticket: GroupCallTicket, room = ticket.roomId): Promise<string> {
  const participant = await JanusParticipant.connect(ticket.sfuUrl, ticket.token);
  try {
    const attached = await participant.attach();
    if (!attached.ok) return `refused: ${attached.code} ${attached.reason}`;
    const joined = await participant.join(Number(room), Number(ticket.feedId), ticket.joinToken);
    return joined.ok ? String(joined.data['videoroom']) : `refused: ${joined.code} ${joined.reason}`;
  } finally {
    participant.close();
  }
}

describe('group calls at a real Janus', skip, () => {
  let janus: JanusProcess;
  let server: InMemoryServer;
  const clients: WireClient[] = [];
  let ada: Member;
  let bob: Member;
  let eve: Member;
  const groupId = randomBytes(32);

  before(async () => {
    janus = await JanusProcess.start({ rtpPortMin: 41_600 });
    server = startInMemoryServer({ config: { rateLimits: false, sfuUrl: janus.url, sfuSecret: janus.secret } });
    [ada, bob, eve] = [await member(server, 'ada', clients), await member(server, 'bob', clients), await member(server, 'eve', clients)];
    await befriend(ada, bob);
    await befriend(eve, ada);
    resultOf(await ada.client.request(FrameType.CREATE_GROUP, { groupId, epoch: 1n, members: [{ username: bob.username, deviceId: bob.deviceId }], welcome: randomBytes(64) }), 'ok');
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.close();
    await janus?.dispose();
  });

  test('members joining get tickets to one room that Janus opens for each of them; a stranger gets nothing', async () => {
    const adaTicket = resultOf(await ada.client.request(FrameType.JOIN_GROUP_CALL, { groupId }), 'groupCall');
    const bobTicket = resultOf(await bob.client.request(FrameType.JOIN_GROUP_CALL, { groupId }), 'groupCall');
    assert.equal(adaTicket.sfuUrl, janus.url);
    assert.equal(bobTicket.roomId, adaTicket.roomId, 'one room per group');
    assert.notEqual(bobTicket.feedId, adaTicket.feedId);
    assert.ok(Number(adaTicket.expiresAt) > Date.now() && Number(adaTicket.expiresAt) <= Date.now() + 10 * 60_000, 'short-lived');
    assert.equal(await joinAtJanus(adaTicket), 'joined');
    assert.equal(await joinAtJanus(bobTicket), 'joined');

    // Eve is in no such group: refused before the SFU is asked anything.
    errorOf(await eve.client.request(FrameType.JOIN_GROUP_CALL, { groupId }), ErrorCode.NOT_A_MEMBER);
    // Ada's ticket opens her group's room and no other.
    const other = randomBytes(32);
    resultOf(await eve.client.request(FrameType.CREATE_GROUP, { groupId: other, epoch: 1n, members: [{ username: ada.username, deviceId: ada.deviceId }], welcome: randomBytes(64) }), 'ok');
    const eveTicket = resultOf(await eve.client.request(FrameType.JOIN_GROUP_CALL, { groupId: other }), 'groupCall');
    assert.notEqual(eveTicket.roomId, adaTicket.roomId);
    assert.match(await joinAtJanus(adaTicket, eveTicket.roomId), /^refused/);
    resultOf(await eve.client.request(FrameType.LEAVE_GROUP_CALL, { groupId: other }), 'ok');
  });

  test('a malformed group id is INVALID_ARGUMENT; an unknown group is UNKNOWN_GROUP', async () => {
    errorOf(await ada.client.request(FrameType.JOIN_GROUP_CALL, { groupId: randomBytes(3) }), ErrorCode.INVALID_ARGUMENT);
    errorOf(await ada.client.request(FrameType.JOIN_GROUP_CALL, { groupId: randomBytes(32) }), ErrorCode.UNKNOWN_GROUP);
  });

  test('leaving withdraws the admission; the last one out ends the room; joining again makes a new one', async () => {
    const before = resultOf(await bob.client.request(FrameType.JOIN_GROUP_CALL, { groupId }), 'groupCall');
    resultOf(await bob.client.request(FrameType.LEAVE_GROUP_CALL, { groupId }), 'ok');
    assert.match(await joinAtJanus(before), /^refused/, 'a withdrawn admission opens nothing');
    resultOf(await bob.client.request(FrameType.LEAVE_GROUP_CALL, { groupId }), 'ok');
    resultOf(await ada.client.request(FrameType.LEAVE_GROUP_CALL, { groupId }), 'ok');
    const again = resultOf(await ada.client.request(FrameType.JOIN_GROUP_CALL, { groupId }), 'groupCall');
    assert.notEqual(again.roomId, before.roomId, 'the ended room is not reused');
    assert.equal(await joinAtJanus(again), 'joined');
    resultOf(await ada.client.request(FrameType.LEAVE_GROUP_CALL, { groupId }), 'ok');
  });

  test('a device that went away without leaving is taken out once its admission expired, and the room ends with the call', async () => {
    const adaTicket = resultOf(await ada.client.request(FrameType.JOIN_GROUP_CALL, { groupId }), 'groupCall');
    const bobTicket = resultOf(await bob.client.request(FrameType.JOIN_GROUP_CALL, { groupId }), 'groupCall');
    // Ada is in the room, and stays; Bob got his ticket and crashed (never joined, never left).
    const adaAtJanus = await JanusParticipant.connect(adaTicket.sfuUrl, adaTicket.token);
    assert.ok((await adaAtJanus.attach()).ok);
    assert.ok((await adaAtJanus.join(Number(adaTicket.roomId), Number(adaTicket.feedId), adaTicket.joinToken)).ok);
    // Ada asks again (a retried join) and goes on publishing on her first feed: she is still in.
    resultOf(await ada.client.request(FrameType.JOIN_GROUP_CALL, { groupId }), 'groupCall');
    assert.equal(await server.sweepGroupCalls(), 0, 'within its admission a device may still be on its way');
    assert.equal(await server.sweepGroupCalls(Number(bobTicket.expiresAt) + 1), 0, 'nor within the grace after it');
    const later = Date.now() + 10 * 60_000;
    assert.equal(await server.sweepGroupCalls(later), 1, 'bob, not at the SFU past his admission, is taken out; ada, there under an earlier feed, stays');
    assert.match(await joinAtJanus(bobTicket), /^refused/, 'his admission is withdrawn');
    // Ada's client dies: its connection closes, Janus drops her, and the next sweep ends the room.
    adaAtJanus.close();
    let swept = 0;
    for (let i = 0; i < 50 && swept === 0; i++) {
      swept = await server.sweepGroupCalls(later);
      if (swept === 0) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(swept, 1);
    const fresh = resultOf(await ada.client.request(FrameType.JOIN_GROUP_CALL, { groupId }), 'groupCall');
    assert.notEqual(fresh.roomId, adaTicket.roomId, 'the room ended with its call; the next join makes a new one');
    resultOf(await ada.client.request(FrameType.LEAVE_GROUP_CALL, { groupId }), 'ok');
  });

  test('after Janus restarts (forgetting its rooms), the next join opens a new room that works', async () => {
    const before = resultOf(await ada.client.request(FrameType.JOIN_GROUP_CALL, { groupId }), 'groupCall');
    await janus.restart();
    let after: GroupCallTicket | undefined;
    for (const deadline = Date.now() + 20_000; !after && Date.now() < deadline;) {
      const answer = await ada.client.request(FrameType.JOIN_GROUP_CALL, { groupId });
      if (answer.result.case === 'groupCall') after = answer.result.value;
      else await new Promise((r) => setTimeout(r, 200)); // NO_SFU while the controller reconnects
    }
    assert.ok(after, 'no ticket within 20 s of the restart');
    assert.notEqual(after.roomId, before.roomId, 'the forgotten room is not handed out again');
    assert.equal(await joinAtJanus(after), 'joined');
    resultOf(await ada.client.request(FrameType.LEAVE_GROUP_CALL, { groupId }), 'ok');
  });

  test('a device removed from the group loses its admission to the group\'s room at once', async () => {
    const adaTicket = resultOf(await ada.client.request(FrameType.JOIN_GROUP_CALL, { groupId }), 'groupCall');
    const bobTicket = resultOf(await bob.client.request(FrameType.JOIN_GROUP_CALL, { groupId }), 'groupCall');
    resultOf(await ada.client.request(FrameType.COMMIT, {
      groupId, epoch: 1n, commit: randomBytes(64), messageId: randomBytes(16), removed: [{ username: bob.username, deviceId: bob.deviceId }],
    }), 'commit');
    // Bob's ticket, still unexpired, opens nothing: the server withdrew it with the commit.
    assert.match(await joinAtJanus(bobTicket), /^refused/);
    errorOf(await bob.client.request(FrameType.JOIN_GROUP_CALL, { groupId }), ErrorCode.NOT_A_MEMBER);
    assert.equal(await joinAtJanus(adaTicket), 'joined', 'the others stay in');
    resultOf(await ada.client.request(FrameType.LEAVE_GROUP_CALL, { groupId }), 'ok');
  });
});

describe('group calls over two SFUs (real Janus, twice)', skip, () => {
  let janusA: JanusProcess;
  let janusB: JanusProcess;
  let server: InMemoryServer;
  const clients: WireClient[] = [];
  let ada: Member;
  let bob: Member;
  const groups = [randomBytes(32), randomBytes(32), randomBytes(32)];

  before(async () => {
    janusA = await JanusProcess.start({ rtpPortMin: 43_200 });
    janusB = await JanusProcess.start({ rtpPortMin: 43_400, secret: janusA.secret });
    server = startInMemoryServer({ config: { rateLimits: false, sfuUrl: `${janusA.url},${janusB.url}`, sfuSecret: janusA.secret } });
    [ada, bob] = [await member(server, 'ada', clients), await member(server, 'bob', clients)];
    await befriend(ada, bob);
    for (const groupId of groups) {
      resultOf(await ada.client.request(FrameType.CREATE_GROUP, { groupId, epoch: 1n, members: [{ username: bob.username, deviceId: bob.deviceId }], welcome: randomBytes(64) }), 'ok');
    }
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.close();
    await janusA?.dispose();
    await janusB?.dispose();
  });

  test("each group's room goes on one SFU, the least busy; its tickets name that SFU and open the room there", async () => {
    const first = resultOf(await ada.client.request(FrameType.JOIN_GROUP_CALL, { groupId: groups[0] }), 'groupCall');
    const second = resultOf(await ada.client.request(FrameType.JOIN_GROUP_CALL, { groupId: groups[1] }), 'groupCall');
    assert.deepEqual([first.sfuUrl, second.sfuUrl], [janusA.url, janusB.url], 'the second room goes to the SFU with nobody in it');
    const bobInFirst = resultOf(await bob.client.request(FrameType.JOIN_GROUP_CALL, { groupId: groups[0] }), 'groupCall');
    assert.deepEqual([bobInFirst.sfuUrl, bobInFirst.roomId], [first.sfuUrl, first.roomId], "one room per group, on its SFU");
    for (const ticket of [first, second, bobInFirst]) assert.equal(await joinAtJanus(ticket), 'joined');
    // A ticket opens nothing at the other SFU, even under the same room number.
    assert.match(await joinAtJanus({ ...second, sfuUrl: janusA.url }), /^refused/);
    // Leaving takes the device out at its room's SFU; the last one out ends the room there.
    resultOf(await bob.client.request(FrameType.LEAVE_GROUP_CALL, { groupId: groups[0] }), 'ok');
    assert.match(await joinAtJanus(bobInFirst), /^refused/);
    for (const groupId of [groups[0], groups[1]]) resultOf(await ada.client.request(FrameType.LEAVE_GROUP_CALL, { groupId }), 'ok');
  });

  test('an SFU that does not answer is passed over: new rooms go on the other, and a room stuck on it is given up for a fresh one', async () => {
    // A busy with one call, so the next room goes on B; then B dies.
    const busy = resultOf(await ada.client.request(FrameType.JOIN_GROUP_CALL, { groupId: groups[0] }), 'groupCall');
    assert.equal(busy.sfuUrl, janusA.url);
    const onB = resultOf(await bob.client.request(FrameType.JOIN_GROUP_CALL, { groupId: groups[1] }), 'groupCall');
    assert.equal(onB.sfuUrl, janusB.url);
    await janusB.kill();
    const placed = resultOf(await bob.client.request(FrameType.JOIN_GROUP_CALL, { groupId: groups[2] }), 'groupCall');
    assert.equal(placed.sfuUrl, janusA.url, 'placed on the SFU that answers');
    assert.equal(await joinAtJanus(placed), 'joined');
    // The group whose room is on the dead SFU: refused while its admissions may still be in use...
    errorOf(await ada.client.request(FrameType.JOIN_GROUP_CALL, { groupId: groups[1] }), ErrorCode.NO_SFU);
    // ...and given up by the sweep once they expired: the next join gets a room on A.
    await server.sweepGroupCalls(Date.now() + 10 * 60_000);
    const moved = resultOf(await ada.client.request(FrameType.JOIN_GROUP_CALL, { groupId: groups[1] }), 'groupCall');
    assert.equal(moved.sfuUrl, janusA.url);
    assert.equal(await joinAtJanus(moved), 'joined');
    for (const [who, groupId] of [[ada, groups[1]], [bob, groups[2]], [ada, groups[0]]] as const) resultOf(await who.client.request(FrameType.LEAVE_GROUP_CALL, { groupId }), 'ok');
  });
});

test('without an SFU, joining a group call is NO_SFU, in words that say 1:1 calls still work', async () => {
  const server = startInMemoryServer({ config: { rateLimits: false } });
  const clients: WireClient[] = [];
  try {
    const ada = await member(server, 'ada', clients);
    const bob = await member(server, 'bob', clients);
    await befriend(ada, bob);
    const groupId = randomBytes(32);
    resultOf(await ada.client.request(FrameType.CREATE_GROUP, { groupId, epoch: 1n, members: [{ username: bob.username, deviceId: bob.deviceId }], welcome: randomBytes(64) }), 'ok');
    const refusal = errorOf(await ada.client.request(FrameType.JOIN_GROUP_CALL, { groupId }), ErrorCode.NO_SFU);
    assert.match(refusal.message, /1:1 calls still work/);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
  }
});
