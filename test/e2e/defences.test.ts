/**
 * Scenarios: the server noticing attacks, and lockdown mode, with a real server process and real
 * CLI processes (the attackers of the second scenario are SDK clients whose transport corrupts
 * what they send, as crafted packets would).
 *
 * 1. A stranger flooding contact requests and call attempts is throttled (RATE_LIMITED with a
 *    retry time), then restricted (RESTRICTED), and the operator finds the incident, with its
 *    evidence, in `sotto admin incidents`; lifting it is audited.
 * 2. A member sent undecryptable messages by three fresh accounts gets a threat notification, live
 *    in `sotto listen` and later in `sotto security`; the three are restricted.
 * 3. Lockdown mode: link-less contact and call requests are refused and counted, an earlier
 *    stranger's request is shown only as a count, a contact link works exactly once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Member, runCli } from '../support/cli.js';
import { Listener } from '../support/listener.js';
import { scratchDir } from '../support/paths.js';
import { ServerProcess } from '../support/server-process.js';
import { TamperingClient } from '../support/tampering-client.js';
import { RemoteError } from '@sotto/core';

const dir = scratchDir('defences');
const data = join(dir.path, 'server');
let server: ServerProcess;

const admin = async (args: string[]) => {
  const result = await runCli(['--json', 'admin', ...args, '--data', data]);
  assert.equal(result.code, 0, result.stderr);
  return result.records;
};
const codeOf = (stderr: string) => /"code":"([A-Z_]+)"/.exec(stderr)?.[1];

before(async () => {
  server = await ServerProcess.start(data, ['--operator-contact', 'security@sotto.test']);
});

after(async () => {
  await server?.stop();
  dir.remove();
});

test('a stranger flooding contact requests and calls is throttled, then restricted, and the operator sees the incident', async () => {
  const targets = ['ana', 'ben'].map((n) => new Member(n, dir.path));
  for (const m of targets) await m.ok(['register', m.name, '--server', server.url]);
  // The spammer floods through the SDK (one connection, as fast as it can); its CLI is used after.
  const floodDir = join(dir.path, 'flood');
  const spammer = await TamperingClient.register(floodDir, server.url, 'spammer');
  const outcomes = async (n: number, act: (i: number) => Promise<unknown>) => {
    const refusals: RemoteError[] = [];
    for (let i = 0; i < n; i += 1) {
      try {
        await act(i);
      } catch (error) {
        assert.ok(error instanceof RemoteError, String(error));
        refusals.push(error);
      }
    }
    return refusals;
  };

  // Contact requests: 10 at once from a full bucket, then refused with the time to wait.
  const throttled = await outcomes(14, (i) => spammer.client.requestContact(targets[i % 2]!.name, 'hello'));
  assert.equal(throttled.length, 4);
  for (const r of throttled) {
    assert.equal(r.wireName, 'RATE_LIMITED');
    assert.match(r.message, /^Too many contact requests: at most 20 an hour\. Try again in \d+ s\.$/);
    assert.ok(r.retryAfterMs > 100_000 && r.retryAfterMs <= 180_000, `retry after ${r.retryAfterMs} ms`);
  }
  // Call attempts (a stranger's call is a call request): 6 a minute, then refused.
  const callsThrottled = await outcomes(12, () => spammer.client.calls.place('ana'));
  assert.deepEqual(callsThrottled.map((r) => r.wireName), Array(6).fill('RATE_LIMITED'));

  // Ten refusals are a flood: within the server's flush (1 s) the spammer is restricted.
  let refusal = '';
  for (let i = 0; i < 50 && refusal !== 'RESTRICTED'; i += 1) {
    await new Promise((r) => setTimeout(r, 200));
    refusal = (await outcomes(1, () => spammer.client.requestContact('ben', 'still here?')))[0]?.wireName ?? 'ok';
  }
  assert.equal(refusal, 'RESTRICTED');
  await spammer.close();
  const spammerCli = new Member('spammer', floodDir);
  const restricted = await spammerCli.run(['contacts', 'request', 'ben', 'let me in']);
  assert.match(restricted.stderr, /"code":"RESTRICTED","message":"This account is restricted pending review by the operator; sending is paused\."/);

  // The operator's view: one open incident, its rule, the subject, the targets and the evidence.
  const [incident, ...others] = await admin(['incidents']);
  assert.equal(others.length, 0);
  assert.equal(incident!.rule, 'rate-limit-flood');
  assert.deepEqual(incident!.subjects, ['spammer']);
  assert.deepEqual([...(incident!.targets as string[])].sort(), ['ana', 'ben']);
  const evidence = incident!.evidence as { reporter: string; kind: string; count: number; target: string }[];
  assert.ok(evidence.every((e) => e.reporter === '' && (e.kind === 'rate-limited' || e.kind === 'unsolicited-call')));
  assert.ok(evidence.filter((e) => e.kind === 'rate-limited').reduce((n, e) => n + e.count, 0) >= 10);
  const human = await runCli(['admin', 'incidents', 'show', incident!.id as string, '--data', data]);
  assert.match(human.stdout, /rule: {7}rate-limit-flood: one sender kept hitting rate limits/);
  assert.match(human.stdout, /restricted: spammer/);

  // Lifting is the operator's call, and is audited; the rate limit itself still holds.
  await admin(['incidents', 'lift', incident!.id as string, '--note', 'test account, not an attack']);
  const after = await spammerCli.run(['contacts', 'request', 'ben', 'sorry']);
  assert.equal(codeOf(after.stderr), 'RATE_LIMITED');
  const audit = await admin(['audit']);
  assert.deepEqual(audit.slice(0, 1).map((a) => [a.action, a.target, a.detail]), [['unrestrict', 'spammer', `lifted with ${incident!.id}`]]);
  assert.ok(audit.some((a) => a.action === 'incident.lift' && a.detail === 'test account, not an attack' && a.actor !== 'server'));
  assert.ok(audit.some((a) => a.action === 'restrict' && a.actor === 'server' && a.target === 'spammer'));
});

test('a member sent undecryptable messages by three fresh accounts gets a threat notification', { timeout: 120_000 }, async () => {
  const lawyer = new Member('lawyer', dir.path);
  await lawyer.ok(['register', 'lawyer', '--server', server.url]);
  const attackers: TamperingClient[] = [];
  try {
    for (const name of ['fresh1', 'fresh2', 'fresh3']) {
      const attacker = await TamperingClient.register(join(dir.path, 'attackers'), server.url, name);
      attackers.push(attacker);
      // Social engineering worked: the lawyer accepts, and the attacker opens a conversation.
      await attacker.befriend('lawyer', (who) => lawyer.ok(['contacts', 'accept', who]));
    }
    await lawyer.ok(['sync']);
    const listener = new Listener(lawyer, []);
    try {
      await listener.ready();
      for (const attacker of attackers) {
        attacker.corrupt = true;
        await attacker.client.sendText(await attacker.client.openDirect('lawyer'), 'crafted');
      }
      const dropped = await listener.waitFor((r) => r.type === 'dropped', 'a dropped delivery');
      assert.match(String(dropped.sender), /^fresh\d$/);
      const notice = await listener.waitFor((r) => r.type === 'threat-notice', 'the threat notification', 30_000);
      assert.equal(notice.senders, 3);
      assert.deepEqual(notice.kinds, ['undecryptable']);
      assert.equal(notice.operatorContact, 'security@sotto.test');
      assert.ok((notice.advice as string[]).some((a) => /lockdown mode/.test(a)));
    } finally {
      await listener.stop();
    }
    // Still there later, until dismissed; and plainly worded for a person.
    const security = await runCli(['--profile', lawyer.profile, 'security']);
    assert.match(security.stdout, /SECURITY NOTICE \(inc-[0-9a-f]+\): your account appears to be targeted\./);
    assert.match(security.stdout, /3 account\(s\) sent you input your device refused \(undecryptable\)/);
    assert.match(security.stdout, /Operator: security@sotto\.test/);

    const incidents = await admin(['incidents']);
    const burst = incidents.find((i) => i.rule === 'fresh-account-burst');
    assert.ok(burst, JSON.stringify(incidents));
    assert.deepEqual([...(burst.subjects as string[])].sort(), ['fresh1', 'fresh2', 'fresh3']);
    assert.deepEqual(burst.targets, ['lawyer']);
    // The attackers can no longer reach anyone.
    attackers[0]!.corrupt = false;
    await assert.rejects((async () => attackers[0]!.client.sendText(await attackers[0]!.client.openDirect('lawyer'), 'one more'))(), /restricted pending review/);
  } finally {
    for (const attacker of attackers) await attacker.close();
  }
});

test('lockdown mode: no request without the member\'s link, strangers only as a count, a link works once', async () => {
  const [ada, early, stranger, friend, other] = ['ada', 'early', 'stranger', 'friend', 'other'].map((n) => new Member(n, dir.path));
  for (const m of [ada!, early!, stranger!, friend!, other!]) await m.ok(['register', m.name, '--server', server.url]);
  await early!.ok(['contacts', 'request', 'ada', 'remember me? click evil.example']);
  await ada!.ok(['sync']);

  assert.deepEqual((await ada!.ok(['lockdown', 'on']))[0], { type: 'lockdown', enabled: true, refused: 0 });
  const refused = await stranger!.run(['contacts', 'request', 'ada', 'hi']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /"code":"LINK_REQUIRED","message":"That member accepts contact requests only through a contact link they shared\."/);
  const call = await stranger!.run(['call', 'ada']);
  assert.equal(codeOf(call.stderr), 'LINK_REQUIRED', 'a stranger\'s call attempt is refused too');
  assert.deepEqual((await ada!.ok(['lockdown']))[0], { type: 'lockdown', enabled: true, refused: 2 });

  // The earlier stranger is a count, not a name or a text.
  const listed = await ada!.ok(['contacts', 'list']);
  assert.deepEqual(listed, [{ type: 'held-back', count: 1 }]);
  const human = await runCli(['--profile', ada!.profile, 'contacts', 'list']);
  assert.doesNotMatch(human.stdout, /early|evil/);

  // A link: one request gets through, marked as coming through it; the link is then spent.
  const [{ link }] = (await ada!.ok(['link'])) as [{ link: string }];
  assert.match(link, new RegExp(`^${server.url}/#add=ada/[A-Za-z0-9_-]{22}$`));
  await friend!.ok(['contacts', 'request', 'ada', 'it is me, from the café', '--link', link]);
  const after = await ada!.ok(['contacts', 'list']);
  assert.deepEqual(after.find((c) => c.username === 'friend'), { username: 'friend', state: 'pending', text: 'it is me, from the café', viaLink: true });
  const reused = await other!.run(['contacts', 'request', 'ada', 'me too', '--link', link]);
  assert.match(reused.stderr, /"code":"LINK_REQUIRED","message":"That contact link is not valid: it was used, has expired, or is someone else's\."/);
  const wrongName = await other!.run(['contacts', 'request', 'friend', 'x', '--link', link]);
  assert.match(wrongName.stderr, /That contact link is ada's, not friend's/);
  await ada!.ok(['contacts', 'accept', 'friend']);
  await friend!.ok(['sync']);
  await friend!.ok(['send', 'ada', 'accepted contacts still talk']);

  // Off again: strangers may ask again, and the earlier request shows in full.
  await ada!.ok(['lockdown', 'off']);
  await stranger!.ok(['contacts', 'request', 'ada', 'hi again']);
  const open = await ada!.ok(['contacts', 'list']);
  assert.ok(open.some((c) => c.username === 'stranger' && c.state === 'pending'));
});
