/**
 * Scenario: message actions from the real `sotto` CLI against a real server (issue 19). Bob
 * replies to Alice, reacts to her message and changes his reaction; Alice edits her message and
 * deletes another for everyone; Bob forwards a message into a group. `sync --json` on the other
 * side shows each, and `messages` prints them as people read them. Bad input gets clear errors.
 *
 * @paired It may run beside one other @paired scenario (scripts/run-tests.mjs): it times no media
 *   and restarts no shared service.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Member, runCli } from '../support/cli.js';
import { scratchDir } from '../support/paths.js';
import { ServerProcess } from '../support/server-process.js';

const dir = scratchDir('cli-actions');
let server: ServerProcess;
const alice = new Member('alice', dir.path);
const bob = new Member('bob', dir.path);
const carol = new Member('carol', dir.path);

interface Record_ { type: string; messageId?: string; body?: string; replyTo?: string; editedAt?: number; deletedAt?: number; forwarded?: boolean; reactions?: { user: string; emoji: string }[] }
const records = async (m: Member, args: string[]) => (await m.ok(args)) as unknown as Record_[];
const idOf = (rs: Record_[]) => rs.find((r) => r.type === 'sent')!.messageId!;

before(async () => {
  server = await ServerProcess.start(join(dir.path, 'server'));
  for (const m of [alice, bob, carol]) await m.ok(['register', m.name, '--server', server.url]);
  for (const [from, to] of [[alice, bob], [alice, carol], [bob, carol]] as const) {
    await from.ok(['contacts', 'request', to.name, 'hi']);
    await to.ok(['contacts', 'accept', from.name]);
  }
  await alice.ok(['sync']);
  await bob.ok(['sync']);
});
after(async () => {
  await server?.stop();
  dir.remove();
});

test('reply, react, edit, delete for everyone, forward: each reaches the other side', async () => {
  const question = idOf(await records(alice, ['send', 'bob', 'dinner', 'at', 'eight?']));
  const doomed = idOf(await records(alice, ['send', 'bob', 'wrong', 'chat,', 'sorry']));
  await bob.ok(['sync']);
  const answer = idOf(await records(bob, ['send', 'alice', '--reply', question.slice(0, 10), 'yes!']));
  await bob.ok(['react', question, '👍']);
  await bob.ok(['react', question, '❤️']);
  // Every command processes what is waiting first; sync prints it.
  const atAlice = await records(alice, ['sync']);
  assert.equal(atAlice.find((r) => r.type === 'message' && r.messageId === answer)?.replyTo, question);
  const reacted = atAlice.filter((r) => r.type === 'message-changed' && r.messageId === question).at(-1);
  assert.deepEqual(reacted?.reactions?.map((r) => `${r.user}:${r.emoji}`), ['bob:❤️']);
  await alice.ok(['edit', question, 'dinner', 'at', 'nine?']);
  await alice.ok(['delete', doomed]);
  const atBob = await records(bob, ['sync']);
  const edited = atBob.filter((r) => r.type === 'message-changed' && r.messageId === question).at(-1);
  assert.equal(edited?.body, 'dinner at nine?');
  assert.ok(edited?.editedAt);
  const deleted = atBob.filter((r) => r.type === 'message-changed' && r.messageId === doomed).at(-1);
  assert.equal(deleted?.body, '');
  assert.ok(deleted?.deletedAt);
  // As people read it (without --json).
  const shown = await runCli(['--profile', bob.profile, 'messages', 'alice']);
  assert.match(shown.stdout, /dinner at nine\? \(edited\) \[❤️ bob\]/);
  assert.match(shown.stdout, /\(this message was deleted\)/);
  assert.ok(!shown.stdout.includes('wrong chat'), 'the deleted text is gone');

  await bob.ok(['group', 'create', 'plans', 'carol']);
  await carol.ok(['sync']);
  await bob.ok(['forward', question, '--group', 'plans']);
  const atCarol = await records(carol, ['sync']);
  const forwarded = atCarol.find((r) => r.type === 'message' && r.body === 'dinner at nine?');
  assert.equal(forwarded?.forwarded, true);
});

test('bad input: another member\'s message, a word as a reaction, an unknown id, forwarding nowhere', async () => {
  const theirs = idOf(await records(alice, ['send', 'bob', 'mine']));
  await bob.ok(['sync']);
  const edit = await bob.run(['edit', theirs, 'not yours']);
  assert.notEqual(edit.code, 0);
  assert.match(edit.stderr, /Only its sender can edit a message/);
  const word = await bob.run(['react', theirs, 'lol']);
  assert.match(word.stderr, /one emoji/);
  const unknown = await bob.run(['delete', 'abcdef0123456789']);
  assert.match(unknown.stderr, /No message here has the id/);
  const nowhere = await bob.run(['forward', theirs]);
  assert.match(nowhere.stderr, /Name a contact or --group/);
});

test('timer: set, shown to the other side as a notice, messages carry their expiry, turned off again', async () => {
  const set = await alice.ok(['timer', 'bob', '1d']);
  assert.equal(set.find((r) => r.type === 'timer')?.seconds, 86_400);
  const atBob = await bob.ok(['sync']);
  assert.ok(atBob.some((r) => r.type === 'notice' && r.text === 'alice set disappearing messages to 1 day'), JSON.stringify(atBob));
  assert.equal((await bob.ok(['timer', 'alice'])).find((r) => r.type === 'timer')?.seconds, 86_400);
  await alice.ok(['send', 'bob', 'for a day']);
  const message = (await records(bob, ['sync'])).find((r) => r.type === 'message' && r.body === 'for a day') as { expiresAt?: number } | undefined;
  assert.ok(message?.expiresAt && message.expiresAt > Date.now() + 86_000_000);
  await bob.ok(['timer', 'alice', 'off']);
  assert.equal((await alice.ok(['timer', 'bob'])).find((r) => r.type === 'timer')?.seconds, 0);
  const bad = await alice.run(['timer', 'bob', '30s']);
  assert.match(bad.stderr, /A timer is off, or a number and m, h, d or w/);
  const tooLong = await alice.run(['timer', 'bob', '91d']);
  assert.match(tooLong.stderr, /a minute to 90 days/);
});

test('profile: a display name and an avatar reach contacts; the avatar can be taken away', async () => {
  const { pngFile } = await import('../support/sample-files.js');
  const { writeFileSync } = await import('node:fs');
  const image = join(dir.path, 'me.png');
  writeFileSync(image, pngFile(300, 200, 'avatar-marker'));
  const set = (await alice.ok(['profile', '--name', 'Alice Liddell', '--avatar', image])).find((r) => r.type === 'profile') as { displayName?: string; avatarBytes?: number } | undefined;
  assert.equal(set?.displayName, 'Alice Liddell');
  assert.ok(set?.avatarBytes && set.avatarBytes <= 12 * 1024);
  await bob.ok(['sync']);
  const listed = await bob.ok(['contacts', 'list']);
  assert.equal(listed.find((r) => r.username === 'alice')?.displayName, 'Alice Liddell');
  const shown = (await alice.ok(['profile', '--no-avatar'])).find((r) => r.type === 'profile') as { avatarBytes?: number } | undefined;
  assert.equal(shown?.avatarBytes, 0);
  const bad = await alice.run(['profile', '--avatar', join(dir.path, 'server')]);
  assert.notEqual(bad.code, 0);
});

test('verify --mark records the comparison; a group rename and a new member are notices at the other side', async () => {
  await bob.ok(['sync']);
  const marked = (await alice.ok(['verify', 'bob', '--mark'])).at(-1) as { verification?: string };
  assert.equal(marked.verification, 'verified');
  await alice.ok(['group', 'create', 'book club', 'bob']);
  await bob.ok(['sync']);
  await alice.ok(['group', 'rename', 'book club', 'reading', 'club']);
  const atBob = await bob.ok(['sync']);
  assert.ok(atBob.some((r) => r.type === 'notice' && r.text === 'alice renamed the group to “reading club”'), JSON.stringify(atBob));
  await alice.ok(['group', 'add', 'reading club', 'carol']);
  const later = await bob.ok(['sync']);
  assert.ok(later.some((r) => r.type === 'notice' && r.text === 'carol was added'), JSON.stringify(later));
});

test('chat --mute/--archive/--pin and search on the device', async () => {
  const muted = (await alice.ok(['chat', 'bob', '--mute', '8h', '--pin'])).find((r) => r.type === 'chat') as { muted?: boolean; pinned?: boolean; mutedUntil?: number } | undefined;
  assert.equal(muted?.muted, true);
  assert.equal(muted?.pinned, true);
  assert.ok(muted?.mutedUntil && muted.mutedUntil > Date.now() + 7 * 3_600_000);
  const off = (await alice.ok(['chat', 'bob', '--mute', 'off', '--unpin', '--archive'])).find((r) => r.type === 'chat') as { muted?: boolean; archived?: boolean; pinned?: boolean } | undefined;
  assert.deepEqual([off?.muted, off?.archived, off?.pinned], [false, true, false]);
  await bob.ok(['send', 'alice', 'the lighthouse is open']);
  const found = await alice.ok(['search', 'LIGHTHOUSE']);
  assert.deepEqual(found.filter((r) => r.type === 'message').map((r) => r.body), ['the lighthouse is open']);
  const none = await alice.ok(['search', 'no such words']);
  assert.equal(none.find((r) => r.type === 'search')?.count, 0);
  const bad = await alice.run(['chat', 'bob', '--mute', 'soon']);
  assert.match(bad.stderr, /m, h, d or w/);
});

test('contacts cancel takes a pending request back from both sides; block then unblock lets a new request through', async () => {
  const dave = new Member('dave', dir.path);
  await dave.ok(['register', 'dave', '--server', server.url]);
  await alice.ok(['contacts', 'request', 'dave', 'wrong', 'dave']);
  assert.equal((await dave.ok(['contacts', 'list'])).find((r) => r.username === 'alice')?.state, 'pending');
  await alice.ok(['contacts', 'cancel', 'dave']);
  await dave.ok(['sync']);
  assert.notEqual((await dave.ok(['contacts', 'list'])).find((r) => r.username === 'alice')?.state, 'pending', 'gone from dave\'s requests');
  const twice = await alice.run(['contacts', 'cancel', 'dave']);
  assert.match(twice.stderr, /no request of yours/);
  await dave.ok(['contacts', 'block', 'alice']);
  await dave.ok(['contacts', 'unblock', 'alice']);
  await alice.ok(['contacts', 'request', 'dave', 'it', 'is', 'really', 'me']);
  assert.equal((await dave.ok(['contacts', 'list'])).find((r) => r.username === 'alice')?.state, 'pending');
  const notBlocked = await dave.run(['contacts', 'unblock', 'alice']);
  assert.match(notBlocked.stderr, /not blocked/);
});
