/**
 * Scenario: a real server process and three CLI profiles. Contact request and
 * accept, 1:1 messages both ways with delivery receipts, a group of three
 * with add and remove, and the removed member cannot read later messages.
 * Then: neither the server's database nor its logs contain a plaintext marker.
 *
 * @paired It may run beside one other @paired scenario (scripts/run-tests.mjs): it times no media
 *   and restarts no shared service.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Member, messagesOf } from '../support/cli.js';
import { scratchDir } from '../support/paths.js';
import { ServerProcess } from '../support/server-process.js';

const MARKER = `PLAINTEXT-MARKER-${Date.now()}`;
const dir = scratchDir('messaging');
let server: ServerProcess;
const alice = new Member('alice', dir.path);
const bob = new Member('bob', dir.path);
const carol = new Member('carol', dir.path);

before(async () => {
  server = await ServerProcess.start(join(dir.path, 'server'));
});

after(async () => {
  await server?.stop();
  dir.remove();
});

test('members register, ask for contact and accept', async () => {
  for (const m of [alice, bob, carol]) {
    const [registered] = await m.ok(['register', m.name, '--server', server.url]);
    assert.equal(registered?.username, m.name);
  }
  await alice.ok(['contacts', 'request', 'bob', 'hi bob, it is alice']);
  const atBob = await bob.ok(['sync']);
  assert.deepEqual(atBob.find((r) => r.type === 'contact'), { type: 'contact', username: 'alice', state: 'pending', text: 'hi bob, it is alice' });
  await bob.ok(['contacts', 'accept', 'alice']);
  // Accepting set up the 1:1: alice joins it, and her chat with bob says so, once.
  const notices = (await alice.ok(['sync'])).filter((r) => r.type === 'notice');
  assert.deepEqual(notices.map((r) => [r.conversation, r.notice, r.text]), [['bob', 'contact', 'bob accepted your request']]);
  assert.deepEqual((await alice.ok(['sync'])).filter((r) => r.type === 'notice'), [], 'printed once');
  const list = await alice.ok(['contacts', 'list']);
  assert.deepEqual(list, [{ username: 'bob', state: 'accepted', text: '' }].map((c) => ({ ...c, text: list[0]?.text })));
  await alice.ok(['contacts', 'request', 'carol', 'carol, alice here']);
  await carol.ok(['contacts', 'accept', 'alice']).catch(async () => {
    await carol.ok(['sync']);
    await carol.ok(['contacts', 'accept', 'alice']);
  });
});

test('1:1 messages flow both ways, each shown once, with delivery receipts', async () => {
  const sent = await alice.ok(['send', 'bob', `hello bob ${MARKER}`]);
  assert.equal(sent[0]?.type, 'sent');
  const atBob = messagesOf(await bob.ok(['sync']));
  assert.deepEqual(atBob.map((m) => [m.sender, m.body]), [['alice', `hello bob ${MARKER}`]]);
  await bob.ok(['send', 'alice', 'hello alice']);
  const atAlice = messagesOf(await alice.ok(['sync']));
  assert.deepEqual(atAlice.map((m) => [m.sender, m.body]), [['bob', 'hello alice']]);
  assert.deepEqual(messagesOf(await bob.ok(['sync'])), [], 'nothing is shown twice');
  const history = await alice.ok(['messages', 'bob']);
  const mine = history.find((r) => r.body === `hello bob ${MARKER}`);
  assert.equal(mine?.status, 'delivered', 'bob\'s receipt reached alice');
});

test('reading with `messages` sends a read receipt: the sender sees its message read', async () => {
  await alice.ok(['send', 'bob', 'read me']);
  await bob.ok(['sync']);
  const read = await bob.ok(['messages', 'alice']);
  assert.ok(read.some((r) => r.body === 'read me'));
  await alice.ok(['sync']);
  const history = await alice.ok(['messages', 'bob']);
  assert.equal(history.find((r) => r.body === 'read me')?.status, 'read', "bob's reading reached alice as a read receipt");
});

test('listen prints messages as they arrive, until interrupted', async () => {
  const listener = bob.spawn(['listen']);
  let out = '';
  listener.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const seen = (text: string) => new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`listen never printed ${text}: ${out}`)), 20_000);
    const check = setInterval(() => {
      if (out.includes(text)) {
        clearInterval(check);
        clearTimeout(timer);
        resolve();
      }
    }, 50);
  });
  await seen('"state":"ready"');
  await alice.ok(['send', 'bob', 'live one']);
  await alice.ok(['send', 'bob', 'live two']);
  await seen('live two');
  const exited = new Promise<number | null>((resolve) => listener.once('exit', resolve));
  listener.kill('SIGINT');
  assert.equal(await exited, 0);
  const printed = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type: string; body?: string });
  assert.deepEqual(printed.filter((r) => r.type === 'message').map((r) => r.body), ['live one', 'live two']);
  assert.deepEqual(messagesOf(await bob.ok(['sync'])), [], 'what listen showed is not shown again');
  await alice.ok(['sync']);
});

test('a group of three: create, add, remove; the removed member reads nothing after', async () => {
  await alice.ok(['group', 'create', 'trio', 'bob']);
  // A new two-person group is a group with its name, not a 1:1 named after its creator.
  const bobJoined = (await bob.ok(['sync'])).filter((r) => r.type === 'joined');
  assert.deepEqual(bobJoined.map((r) => r.name), ['trio']);
  await alice.ok(['group', 'add', 'trio', 'carol']);
  const joined = await carol.ok(['sync']);
  // Added to an existing group, carol hears its name, not a placeholder like group-1a2b3c4d.
  assert.deepEqual(joined.filter((r) => r.type === 'joined').map((r) => r.name), ['trio'], 'carol joined the group by its name');
  await alice.ok(['group', 'send', 'trio', 'welcome carol']);
  await bob.ok(['sync']);
  await bob.ok(['group', 'send', 'trio', 'hi all']);
  const atCarol = messagesOf(await carol.ok(['sync']));
  assert.deepEqual(atCarol.map((m) => [m.conversation, m.sender, m.body]), [
    ['trio', 'alice', 'welcome carol'],
    ['trio', 'bob', 'hi all'],
  ]);
  await alice.ok(['sync']);
  await alice.ok(['group', 'remove', 'trio', 'carol']);
  await bob.ok(['sync']);
  await alice.ok(['group', 'send', 'trio', `after carol left ${MARKER}`]);
  const atBob = messagesOf(await bob.ok(['sync']));
  assert.deepEqual(atBob.map((m) => m.body), [`after carol left ${MARKER}`]);
  const carolAfter = await carol.ok(['sync']);
  assert.deepEqual(messagesOf(carolAfter), [], 'carol cannot read messages after her removal');
  const carolGroups = await carol.ok(['group', 'list']);
  assert.equal(carolGroups.find((g) => g.name === 'trio')?.active, false);
  // What she read while a member stays hers to read again.
  const history = messagesOf(await carol.ok(['messages', 'trio']));
  assert.deepEqual(history.map((m) => m.body), ['welcome carol', 'hi all']);
});

test('leaving a group: the others commit the removal and keep talking', async () => {
  await alice.ok(['group', 'create', 'pair', 'bob']);
  await bob.ok(['sync']);
  await bob.ok(['group', 'leave', 'pair']);
  await alice.ok(['sync']);
  await alice.ok(['group', 'send', 'pair', 'still here']);
  assert.deepEqual(messagesOf(await bob.ok(['sync'])), []);
});

test('both start the 1:1 conversation at once: both messages arrive and later ones share one conversation', async () => {
  const dave = new Member('dave', dir.path);
  const erin = new Member('erin', dir.path);
  await dave.ok(['register', 'dave', '--server', server.url]);
  await erin.ok(['register', 'erin', '--server', server.url]);
  await dave.ok(['contacts', 'request', 'erin', 'hi']);
  await erin.ok(['contacts', 'request', 'dave', 'hi']); // mutual requests are mutual consent
  await dave.ok(['sync']);
  await Promise.all([dave.ok(['send', 'erin', 'first from dave']), erin.ok(['send', 'dave', 'first from erin'])]);
  await erin.ok(['sync']);
  await dave.ok(['sync']);
  // Each side may have received the other's first message while its own send was still connected.
  const bodies = async (m: Member, peer: string) => new Set(messagesOf(await m.ok(['messages', peer])).map((r) => r.body));
  assert.deepEqual(await bodies(dave, 'erin'), new Set(['first from dave', 'first from erin']));
  assert.deepEqual(await bodies(erin, 'dave'), new Set(['first from dave', 'first from erin']));
  await dave.ok(['send', 'erin', 'second from dave']);
  assert.deepEqual(messagesOf(await erin.ok(['sync'])).map((m) => m.body), ['second from dave']);
  await erin.ok(['send', 'dave', 'second from erin']);
  assert.deepEqual(messagesOf(await dave.ok(['sync'])).map((m) => m.body), ['second from erin']);
  const daveView = await dave.ok(['messages', 'erin']);
  assert.deepEqual(daveView.map((m) => m.body).filter((b) => String(b).startsWith('second')), ['second from dave', 'second from erin'], 'the second round used one conversation');
});

test('the server database and logs never contain a message plaintext', async () => {
  await server.stop();
  const files = readdirSync(join(dir.path, 'server')).map((f) => join(dir.path, 'server', f));
  for (const file of files) {
    assert.ok(!readFileSync(file).includes(Buffer.from(MARKER)), `${file} contains the marker`);
  }
  assert.ok(!server.logs.includes(MARKER), 'server logs contain the marker');
  assert.ok(!server.logs.includes('alice') && !server.logs.includes('carol'), 'server logs contain usernames');
  await server.spawn();
});
