/**
 * Scenario: the web app in real Chromium, served by a real `sotto serve`. Alice uses a desktop
 * window and Bob a phone-sized one, each in a browser context of their own (own IndexedDB).
 * They register, become contacts, chat both ways (delivery state, unread counts, read
 * receipts), run a group, verify each other, call (consent checked by instrumentation: no
 * RTCPeerConnection, microphone or SDP before Accept; audio packets both ways after), decline,
 * and see the "connection lost", "open in another window" and "update required" screens.
 *
 * @paired It may run beside one other @paired scenario (scripts/run-tests.mjs): its call asserts
 *   that audio packets flow, not how fast, and it restarts no shared service.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { BrowserMember, browserSkipReason, eventually, launchBrowser } from '../support/browser.js';
import { Member, runCli } from '../support/cli.js';
import { TamperingClient } from '../support/tampering-client.js';
import { scratchDir } from '../support/paths.js';
import { ServerProcess } from '../support/server-process.js';
import { acceptContact, openChatFromList, openDirectChat, openTab, registerInBrowser, requestContact, sendMessage, statusOf } from './ui.js';

const skip = browserSkipReason();
const dir = scratchDir('web-app');
let server: ServerProcess;
let browser: Browser;
let alice: BrowserMember;
let bob: BrowserMember;

before(async () => {
  if (skip) return;
  server = await ServerProcess.start(join(dir.path, 'server'));
  browser = await launchBrowser();
  alice = await BrowserMember.open(browser, 'alice', server.url);
  bob = await BrowserMember.open(browser, 'bob', server.url, { width: 390, height: 780 });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  dir.remove();
});

test('the server serves the app with a strict Content-Security-Policy', { skip }, async () => {
  const response = await fetch(server.url + '/');
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  assert.match(response.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
  assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
  const manifest = await fetch(server.url + '/manifest.webmanifest');
  assert.equal(manifest.status, 200);
  assert.equal((await manifest.json() as { display: string }).display, 'standalone');
  assert.equal((await fetch(server.url + '/sw.js')).status, 200);
});

test('register, request and accept, messages both ways with delivery state and unread counts', { skip }, async () => {
  await alice.screenshot('01-welcome');
  await registerInBrowser(alice);
  await registerInBrowser(bob);
  await requestContact(alice, 'bob', 'Hi Bob, it is Alice from the clinic.');
  await openTab(bob, 'Contacts');
  await bob.page.getByText('Hi Bob, it is Alice from the clinic.').waitFor();
  await bob.screenshot('02-contact-request-phone');
  await acceptContact(bob, 'alice');

  await openDirectChat(alice, 'bob');
  await sendMessage(alice, 'Hello Bob 👋');
  // Bob is elsewhere: the chat list shows one unread message.
  await openTab(bob, 'Chats');
  const row = bob.page.getByRole('button', { name: /Chat with alice, 1 unread/ });
  await row.waitFor({ timeout: 20_000 });
  await eventually(async () => ((await statusOf(alice, 'Hello Bob 👋')) === 'delivered' ? true : undefined), 'delivered');
  await bob.screenshot('03-chat-list-unread-phone');
  await row.click();
  await bob.page.locator('.message.in', { hasText: 'Hello Bob 👋' }).waitFor();
  // Opening the chat read it: Alice's copy turns to "read".
  await eventually(async () => ((await statusOf(alice, 'Hello Bob 👋')) === 'read' ? true : undefined), 'read receipt');
  await sendMessage(bob, 'Hi Alice! Reading you loud and clear.');
  await alice.page.locator('.message.in', { hasText: 'Reading you loud and clear' }).waitFor();
  await bob.screenshot('04-chat-phone');
  await alice.screenshot('05-chat-desktop');
  // Installable: the service worker for the app shell is registered and active.
  const workers = await alice.page.evaluate(async () => (await navigator.serviceWorker.ready).active?.scriptURL);
  assert.match(workers ?? '', /\/sw\.js$/);
  assert.equal(await bob.page.getByRole('button', { name: /unread/ }).count(), 0);
});

test('groups: create, send, remove, add back, leave', { skip }, async () => {
  await openTab(alice, 'Chats');
  await alice.page.getByRole('button', { name: 'New group' }).click();
  await alice.page.getByLabel('Group name').fill('Book club');
  await alice.page.getByRole('checkbox', { name: 'bob' }).check();
  await alice.screenshot('06-new-group');
  await alice.page.getByRole('button', { name: 'Create group' }).click();
  await alice.page.getByRole('heading', { name: 'Book club' }).waitFor();
  await sendMessage(alice, 'First book: Middlemarch');
  await openChatFromList(bob, /Group Book club/);
  await bob.page.locator('.message.in', { hasText: 'First book: Middlemarch' }).waitFor();

  await alice.page.getByRole('button', { name: 'Group info' }).click();
  await alice.page.getByRole('list', { name: 'Members' }).getByText('bob').waitFor();
  await alice.screenshot('07-group-info');
  await alice.page.getByRole('button', { name: 'Remove bob' }).click();
  await alice.page.getByRole('button', { name: 'Remove bob' }).waitFor({ state: 'detached' });
  await bob.page.getByText('You are no longer in this group').first().waitFor({ timeout: 20_000 });

  await alice.page.getByLabel('Contact to add').selectOption('bob');
  await alice.page.getByRole('button', { name: 'Add', exact: true }).click();
  await alice.page.getByRole('button', { name: 'Remove bob' }).waitFor();
  await openChatFromList(bob, /Group Book club/);
  await bob.page.getByText('2 members').waitFor({ timeout: 20_000 });
  await bob.page.getByRole('button', { name: 'Group info' }).click();
  await bob.page.getByRole('button', { name: 'Leave group' }).click();
  await alice.page.getByRole('list', { name: 'Members' }).getByText('bob').waitFor({ state: 'detached', timeout: 20_000 });
});

test('verification: both sides show the same 60-digit safety number and a QR code', { skip }, async () => {
  await openDirectChat(alice, 'bob');
  await alice.page.getByRole('button', { name: 'Verify' }).click();
  await openDirectChat(bob, 'alice');
  await bob.page.getByRole('button', { name: 'Verify' }).click();
  const digits = (m: BrowserMember) => m.page.getByRole('list', { name: 'Safety number' }).getAttribute('data-digits', { timeout: 20_000 });
  const [a, b] = [await digits(alice), await digits(bob)];
  assert.match(a ?? '', /^\d{60}$/);
  assert.equal(a, b);
  await alice.page.getByRole('img', { name: /QR code of the safety number/ }).waitFor();
  await alice.screenshot('08-verify');
});

test('a call: nothing RTC before Accept, audio packets both ways after, mute, hang up', { skip }, async (t) => {
  await openDirectChat(alice, 'bob');
  await alice.page.getByRole('button', { name: 'Call bob' }).click();
  await bob.page.getByRole('dialog').getByText('is calling you').waitFor({ timeout: 20_000 });
  await bob.screenshot('09-incoming-call-phone');
  await alice.screenshot('10-outgoing-call');
  // Consent before parsing, observed from outside the app: Bob's page has created no peer
  // connection, asked for no microphone, set no remote description, added no candidate.
  assert.deepEqual(await bob.rtc(), { peerConnections: 0, getUserMedia: 0, remoteDescriptions: 0, remoteCandidates: 0 });

  // Keyboard: the ring puts focus on Accept, so Enter answers.
  assert.equal(await bob.page.evaluate(() => document.activeElement?.textContent), 'Accept');
  await bob.page.keyboard.press('Enter');
  await eventually(async () => ((await alice.page.getByTestId('call-status').textContent())?.match(/^\d+:\d\d$/) ? true : undefined), 'active call at alice');
  const [aliceStats, bobStats] = await eventually(async () => {
    const a = await alice.audioStats();
    const b = await bob.audioStats();
    return a.packetsReceived > 50 && b.packetsReceived > 50 ? [a, b] as const : undefined;
  }, 'audio packets both ways');
  assert.ok(aliceStats.packetsSent > 50 && bobStats.packetsSent > 50);
  t.diagnostic(`getStats: alice sent ${aliceStats.packetsSent} received ${aliceStats.packetsReceived}; bob sent ${bobStats.packetsSent} received ${bobStats.packetsReceived}`);
  assert.equal((await bob.rtc()).peerConnections, 1);
  await bob.page.getByRole('button', { name: 'Mute' }).click();
  await bob.page.getByRole('button', { name: 'Unmute' }).waitFor();
  // The packet counters are out of sight until asked for.
  assert.equal(await bob.page.getByTestId('call-stats').count(), 0);
  await bob.page.getByText('Call details').click();
  await bob.page.getByTestId('call-stats').waitFor();
  await bob.screenshot('11-in-call-phone');
  await alice.screenshot('12-in-call-desktop');

  await alice.page.getByRole('button', { name: 'Hang up' }).click();
  await bob.page.getByText('They hung up').waitFor({ timeout: 20_000 });
  await openTab(bob, 'Calls');
  await bob.page.getByRole('list', { name: 'Call log' }).getByText(/Incoming call, \d+:\d\d/).waitFor();
  await bob.screenshot('13-call-log-phone');
});

test('a declined call ends on both sides and is logged', { skip }, async () => {
  await openDirectChat(alice, 'bob');
  const before = (await bob.rtc()).peerConnections;
  await alice.page.getByRole('button', { name: 'Call bob' }).click();
  await bob.page.getByRole('button', { name: 'Decline' }).click({ timeout: 20_000 });
  await alice.page.getByText('They declined the call').waitFor({ timeout: 20_000 });
  assert.equal((await bob.rtc()).peerConnections, before, 'declining creates no peer connection');
  await openTab(alice, 'Calls');
  await alice.page.getByRole('list', { name: 'Call log' }).getByText('Declined by them').waitFor();
});

test('settings: relay-only calls is a switch that stays set', { skip }, async () => {
  await openTab(alice, 'Settings');
  const relay = alice.page.getByRole('switch', { name: 'Relay-only calls' });
  await relay.check();
  await alice.screenshot('14-settings');
  await alice.page.reload();
  await openTab(alice, 'Settings');
  const reloaded = alice.page.getByRole('switch', { name: 'Relay-only calls' });
  await eventually(async () => ((await reloaded.isEnabled()) ? true : undefined), 'settings loaded');
  assert.equal(await reloaded.isChecked(), true);
  await alice.page.getByRole('switch', { name: 'Relay-only calls' }).uncheck();
});

test('connection loss shows a banner; messages written meanwhile go out when it is back', { skip }, async () => {
  await openDirectChat(alice, 'bob');
  await server.stop();
  await alice.page.getByText(/Connection lost/).waitFor({ timeout: 20_000 });
  await alice.screenshot('15-connection-lost');
  await sendMessage(alice, 'Written while offline');
  await server.spawn();
  await alice.page.getByText(/Connection lost/).waitFor({ state: 'detached', timeout: 60_000 });
  await openDirectChat(bob, 'alice');
  await bob.page.locator('.message.in', { hasText: 'Written while offline' }).waitFor({ timeout: 60_000 });
});

test('a second tab takes the connection over; the first says so and can take it back', { skip }, async () => {
  const second = await alice.context.newPage();
  try {
    await second.goto(server.url);
    await second.getByLabel('Signed in as alice').waitFor({ timeout: 20_000 });
    await alice.page.getByRole('heading', { name: 'Sotto is open in another window' }).waitFor({ timeout: 20_000 });
    await alice.screenshot('18-open-elsewhere');
    await alice.page.getByRole('button', { name: 'Use here' }).click();
    await alice.page.getByLabel('Signed in as alice').waitFor({ timeout: 20_000 });
    await second.getByRole('heading', { name: 'Sotto is open in another window' }).waitFor({ timeout: 20_000 });
  } finally {
    await second.close();
  }
});

test('a security advisory published while the app is open appears at once, saying what to do', { skip }, async () => {
  const key = join(dir.path, 'operator.pem');
  const admin = (args: string[]) => runCli(['admin', 'advisory', ...args, '--data', join(dir.path, 'server')]);
  assert.equal((await admin(['keygen', '--key', key])).code, 0);
  const published = await admin(['publish', '--key', key, '--title', 'Update now', '--text', 'A flaw in call set-up is fixed in 9.0.0.', '--fixed-version', '9.0.0']);
  assert.equal(published.code, 0, published.stderr);
  const banner = alice.page.getByRole('alert', { name: 'Security advisories' });
  await banner.getByText('Security advisory: Update now.').waitFor({ timeout: 20_000 });
  assert.match((await banner.textContent()) ?? '', /This app is 0\.1\.0; you need 9\.0\.0 or newer/);
  await alice.screenshot('19-security-advisory');
});

test('lockdown mode: a stranger is refused and counted, a contact link opened in the browser gets one request through', { skip }, async () => {
  await openTab(alice, 'Settings');
  await alice.page.getByRole('switch', { name: 'Lockdown mode' }).check();
  await alice.page.getByText('0 requests without your link refused so far.').waitFor({ timeout: 20_000 });
  const stranger = new Member('webstranger', dir.path);
  await stranger.ok(['register', stranger.name, '--server', server.url]);
  const refused = await stranger.run(['contacts', 'request', 'alice', 'hello']);
  assert.match(refused.stderr, /LINK_REQUIRED/);
  await alice.page.getByText('1 request without your link refused so far.').waitFor({ timeout: 20_000 });
  await alice.page.getByRole('button', { name: 'Create a contact link' }).click();
  const link = await alice.page.getByLabel(/Give this link to one person/).inputValue();
  assert.match(link, /#add=alice\/[A-Za-z0-9_-]{22}$/);
  await alice.screenshot('20-lockdown-settings');

  const carol = await BrowserMember.open(browser, 'carol', link, { width: 390, height: 780 });
  try {
    await registerInBrowser(carol);
    // The link brought carol to Contacts with alice and the link filled in.
    assert.equal(await carol.page.getByLabel('Their username').inputValue(), 'alice');
    assert.equal(await carol.page.getByLabel(/Their contact link/).inputValue(), link);
    await carol.page.getByLabel(/A short note/).fill('carol, from the conference');
    await carol.page.getByRole('button', { name: 'Send request' }).click();
    await carol.page.getByText('Request sent to alice.').waitFor();
    await carol.screenshot('21-request-through-link-phone');
  } finally {
    await carol.close();
  }
  await openTab(alice, 'Contacts');
  const request = alice.page.getByRole('list', { name: 'Incoming contact requests' }).getByRole('listitem').filter({ hasText: 'carol' });
  await request.getByText('via your link').waitFor({ timeout: 20_000 });
  await request.getByText('carol, from the conference').waitFor();
  await alice.screenshot('22-lockdown-contacts');
  await openTab(alice, 'Settings');
  const lockdown = alice.page.getByRole('switch', { name: 'Lockdown mode' });
  // A freshly shown switch is disabled (and unchecked) until the state is read: uncheck would then do nothing.
  await eventually(async () => ((await lockdown.isEnabled()) && (await lockdown.isChecked()) ? true : undefined), 'lockdown shown as on');
  await lockdown.uncheck();
  await eventually(async () => ((await lockdown.isChecked()) ? undefined : true), 'lockdown off', 10_000);
  // The switch moves at once; the server takes a round trip. Then strangers may ask again.
  await eventually(async () => ((await runCli(['--profile', stranger.profile, '--json', 'contacts', 'request', 'alice', 'again'])).code === 0 ? true : undefined), 'a stranger\'s request accepted again', 10_000);
});

test('undecryptable messages from three fresh accounts bring a threat notice to the browser', { skip }, async () => {
  const attackers: TamperingClient[] = [];
  try {
    for (const name of ['webfresh1', 'webfresh2', 'webfresh3']) {
      const attacker = await TamperingClient.register(join(dir.path, 'attackers'), server.url, name);
      attackers.push(attacker);
      await attacker.befriend('alice', (who) => acceptContact(alice, who));
    }
    for (const attacker of attackers) {
      attacker.corrupt = true;
      await attacker.client.sendText(await attacker.client.openDirect('alice'), 'crafted');
    }
    // The browser drops them, reports them (a few seconds later), and the server warns alice.
    const banner = alice.page.getByRole('alert', { name: 'Security notice' });
    await banner.getByText('Your account appears to be targeted.').waitFor({ timeout: 30_000 });
    assert.match((await banner.textContent()) ?? '', /3 accounts sent you input this device refused \(undecryptable\)/);
    await alice.screenshot('23-threat-notice');
    await banner.getByRole('button', { name: /Dismiss security notice/ }).click();
    await banner.waitFor({ state: 'detached' });
  } finally {
    for (const attacker of attackers) await attacker.close();
  }
});

test('a client older than the minimum version sees "update required"', { skip }, async () => {
  const set = await runCli(['admin', 'min-version', '99.0.0', '--data', join(dir.path, 'server')]);
  assert.equal(set.code, 0, set.stderr);
  try {
    await alice.page.reload();
    await alice.page.getByRole('heading', { name: 'Update required' }).waitFor({ timeout: 20_000 });
    await alice.screenshot('16-update-required');
  } finally {
    await runCli(['admin', 'min-version', '0.0.1', '--data', join(dir.path, 'server')]);
  }
  await alice.page.reload();
  await alice.page.getByLabel('Signed in as alice').waitFor({ timeout: 20_000 });
});
