/**
 * Scenario: notifications in the web app (issue 19). Bob uses the browser, Alice the CLI, through a
 * real `sotto serve` with Web Push on (loopback endpoints allowed). Shown here:
 * - Settings → Notifications asks the browser's permission only when Bob turns it on, says so
 *   clearly when the browser refuses, and then subscribes to push with the server's VAPID key and
 *   hands the subscription to the server. Chromium's own push service cannot be reached from here,
 *   so `PushManager.subscribe` is replaced in the page: offline it fails as Chromium's does (the app
 *   says so, and page notifications still work); otherwise it returns a subscription on a local
 *   https push service this test runs, with keys the test holds.
 * - The tab title counts unread messages; while the page is hidden a message from Alice makes a
 *   notification naming her (display name) and nothing of what she wrote.
 * - A call from Alice rings: a notification "… is calling", the WebAudio ringtone plays, nothing of
 *   RTC or the microphone is touched before Accept, and the ringtone stops on Decline.
 * - With every window of the app closed, a message from Alice makes the server push to that
 *   subscription: the VAPID signature verifies and the payload decrypts to `{"v":1}`; the push,
 *   handed to the service worker, shows exactly "Sotto" / "New message" (one, tag sotto-new).
 * - A server with push off: the switch says notifications come only while Sotto is open.
 *
 * @paired It may run beside one other @paired scenario (scripts/run-tests.mjs): it makes no call
 *   and restarts no shared service.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createECDH, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
// The server's own test receiver's checks (not exported by the package: tests only).
import { decryptPush, verifyVapid, type TestSubscription } from '@sotto/server/push-receiver';
import { BrowserMember, browserSkipReason, eventually, launchBrowser } from '../support/browser.js';
import { Member } from '../support/cli.js';
import { scratchDir } from '../support/paths.js';
import { ServerProcess } from '../support/server-process.js';
import { acceptContact, keepScreenshot, openDirectChat, openTab, registerInBrowser, sendMessage } from './ui.js';

const skip = browserSkipReason();
const dir = scratchDir('web-notifications');
const ALICE_NAME = 'Alice Liddell';
const SECRET = 'the treasure is under the old oak';
let server: ServerProcess;
let pushService: { server: HttpsServer; origin: string; received: { path: string; authorization: string | undefined; body: Buffer }[] };
let subscription: TestSubscription;
let browser: Browser;
let bob: BrowserMember;
const alice = new Member('alice', dir.path);

interface Recorded {
  notifications: { title: string; body: string; tag: string }[];
  permissionRequests: number;
  audio: { contexts: number; oscillatorsStarted: number; closed: number };
  pushSubscribes: number;
}

/**
 * A stand-in for a browser vendor's push service: https on 127.0.0.1 with a certificate made here,
 * which the server is told to trust (NODE_EXTRA_CA_CERTS), recording each push it is sent.
 */
async function startPushService(): Promise<typeof pushService> {
  const key = join(dir.path, 'push-key.pem');
  const cert = join(dir.path, 'push-cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
    '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  process.env['NODE_EXTRA_CA_CERTS'] = cert;
  const received: (typeof pushService)['received'] = [];
  const https = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ path: request.url ?? '', authorization: request.headers.authorization, body: Buffer.concat(chunks) });
      response.statusCode = 201;
      response.end();
    });
  });
  https.listen(0, '127.0.0.1');
  await once(https, 'listening');
  return { server: https, origin: `https://127.0.0.1:${(https.address() as AddressInfo).port}`, received };
}

/** Init script: records notifications, permission requests and WebAudio use; replaces PushManager.subscribe (see the header). */
function instrumentNotifications(push: { endpoint: string; p256dh: string; auth: string }): void {
  const record: Recorded = { notifications: [], permissionRequests: 0, audio: { contexts: 0, oscillatorsStarted: 0, closed: 0 }, pushSubscribes: 0 };
  (window as unknown as { __notify: Recorded }).__notify = record;
  const Native = window.Notification;
  if (Native) {
    const Recording = function (title: string, options?: NotificationOptions) {
      record.notifications.push({ title, body: options?.body ?? '', tag: options?.tag ?? '' });
      return new Native(title, options);
    } as unknown as typeof Notification;
    Object.defineProperty(Recording, 'permission', { get: () => Native.permission });
    Recording.requestPermission = (...args: Parameters<typeof Notification.requestPermission>) => {
      record.permissionRequests += 1;
      return Native.requestPermission(...args);
    };
    Recording.prototype = Native.prototype;
    window.Notification = Recording;
  }
  const NativeAudio = window.AudioContext;
  if (NativeAudio) {
    const Counted = function (options?: AudioContextOptions) {
      record.audio.contexts += 1;
      return new NativeAudio(options);
    } as unknown as typeof AudioContext;
    Counted.prototype = NativeAudio.prototype;
    window.AudioContext = Counted;
    const start = OscillatorNode.prototype.start;
    OscillatorNode.prototype.start = function (this: OscillatorNode, when?: number) {
      record.audio.oscillatorsStarted += 1;
      return start.call(this, when);
    };
    const close = NativeAudio.prototype.close;
    NativeAudio.prototype.close = function (this: AudioContext) {
      record.audio.closed += 1;
      return close.call(this);
    };
  }
  if (typeof PushManager !== 'undefined') {
    let current: PushSubscription | null = null;
    PushManager.prototype.subscribe = async function (options?: PushSubscriptionOptionsInit) {
      record.pushSubscribes += 1;
      if (localStorage.getItem('test.push') === 'offline') throw new DOMException('Registration failed - push service not available', 'AbortError');
      if (!(options?.applicationServerKey instanceof Uint8Array) || options.applicationServerKey.byteLength !== 65) throw new DOMException('no VAPID key', 'InvalidAccessError');
      const bytes = (text: string) => Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)).buffer;
      const p256dh = bytes(push.p256dh);
      const auth = bytes(push.auth);
      const endpoint = push.endpoint;
      current = {
        endpoint, expirationTime: null, options: { userVisibleOnly: true, applicationServerKey: null },
        getKey: (name: PushEncryptionKeyName) => (name === 'p256dh' ? p256dh : auth),
        unsubscribe: async () => { current = null; return true; },
        toJSON: () => ({ endpoint }),
      } as unknown as PushSubscription;
      return current;
    };
    PushManager.prototype.getSubscription = async () => current;
  }
}

function recorded(): Promise<Recorded> {
  return bob.page.evaluate(() => JSON.parse(JSON.stringify((window as unknown as { __notify: Recorded }).__notify)) as Recorded);
}

/** Makes the page report itself hidden (as when its tab is in the background), or visible again. */
function setHidden(hidden: boolean): Promise<void> {
  return bob.page.evaluate((h) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (h ? 'hidden' : 'visible') });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

const notificationsSwitch = () => bob.page.getByRole('switch', { name: 'Notifications' });

before(async () => {
  if (skip) return;
  pushService = await startPushService();
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  subscription = { endpoint: `${pushService.origin}/push/bob`, p256dh: new Uint8Array(ecdh.getPublicKey()), auth: new Uint8Array(randomBytes(16)), ecdh };
  server = await ServerProcess.start(join(dir.path, 'server'), ['--push-subject', 'mailto:ops@example.org', '--push-allow-loopback']);
  browser = await launchBrowser();
  bob = await BrowserMember.open(browser, 'bob', server.url);
  await bob.context.addInitScript(instrumentNotifications, {
    endpoint: subscription.endpoint, p256dh: Buffer.from(subscription.p256dh).toString('base64url'), auth: Buffer.from(subscription.auth).toString('base64url'),
  });
  await bob.page.reload();
  await registerInBrowser(bob);
  await alice.ok(['register', 'alice', '--server', server.url]);
  await alice.ok(['contacts', 'request', 'bob', 'Alice here']);
  await acceptContact(bob, 'alice');
  await alice.ok(['sync']);
  // A profile travels in the 1:1 conversation: Bob starts it.
  await openDirectChat(bob, 'alice');
  await sendMessage(bob, 'hello alice');
  await alice.ok(['sync']);
  await alice.ok(['profile', '--name', ALICE_NAME]);
  await openTab(bob, 'Contacts');
  await bob.page.getByRole('list', { name: 'Contacts' }).getByText(ALICE_NAME).first().waitFor({ timeout: 30_000 });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  pushService?.server.close();
  dir.remove();
});

test('the switch asks the browser only when turned on, says clearly when refused, and subscribes to push when allowed', { skip }, async (t) => {
  await openTab(bob, 'Settings');
  await notificationsSwitch().waitFor();
  assert.equal((await recorded()).permissionRequests, 0, 'no permission asked at load or on opening Settings');
  assert.equal(await notificationsSwitch().isChecked(), false);

  // Not granted (a headless browser refuses what it cannot ask): the switch stays off and says why.
  await notificationsSwitch().click();
  await bob.page.getByRole('alert').getByText(/Your browser blocked notifications for Sotto/).waitFor();
  assert.equal(await notificationsSwitch().isChecked(), false);
  assert.equal((await recorded()).permissionRequests, 1);

  // Offline push service: notifications are on, the app says push could not be set up.
  await bob.context.grantPermissions(['notifications'], { origin: server.url });
  await bob.page.evaluate(() => localStorage.setItem('test.push', 'offline'));
  await notificationsSwitch().click();
  await bob.page.getByRole('alert').getByText(/could not reach its push service, so you will be notified only while Sotto is open/).waitFor();
  assert.equal(await notificationsSwitch().isChecked(), true);
  await keepScreenshot(bob, 'notifications-push-offline');

  // Off, then on with a push service the server accepts.
  await notificationsSwitch().click();
  await bob.page.waitForFunction(() => localStorage.getItem('sotto.notifications') === null);
  await bob.page.evaluate(() => localStorage.removeItem('test.push'));
  await notificationsSwitch().click();
  await bob.page.getByRole('status').getByText(/notified of new messages even while Sotto is closed/).waitFor();
  assert.equal(await notificationsSwitch().isChecked(), true);
  const r = await recorded();
  assert.equal(r.permissionRequests, 3);
  assert.equal(r.pushSubscribes, 2);
  t.diagnostic(`permission asked ${r.permissionRequests} times (once per turning on), PushManager.subscribe ${r.pushSubscribes} times; the server accepted the subscription`);
  await keepScreenshot(bob, 'notifications-settings-desktop');
  await bob.page.setViewportSize({ width: 390, height: 844 });
  await bob.page.getByRole('group', { name: 'Notifications' }).scrollIntoViewIfNeeded();
  await keepScreenshot(bob, 'notifications-settings-phone');
  await bob.page.setViewportSize({ width: 1100, height: 760 });
});

test('the tab title counts unread messages; a hidden page notifies with the sender\'s name and not the text', { skip }, async () => {
  await openTab(bob, 'Settings');
  assert.equal(await bob.page.title(), 'Sotto');
  await setHidden(true);
  await alice.ok(['send', 'bob', SECRET]);
  await alice.ok(['send', 'bob', 'and a second one']);
  await eventually(async () => ((await bob.page.title()) === '(2) Sotto' ? true : undefined), 'the tab title "(2) Sotto"');
  const notes = (await recorded()).notifications;
  assert.ok(notes.length >= 1, 'a notification was shown');
  for (const note of notes) {
    assert.equal(note.title, `New message from ${ALICE_NAME}`);
    assert.ok(!`${note.title} ${note.body}`.includes('treasure') && !`${note.title} ${note.body}`.includes('second'), 'nothing of the text');
  }
  // Visible again: a message makes no notification, and reading the chat clears the count.
  await setHidden(false);
  const before = (await recorded()).notifications.length;
  await alice.ok(['send', 'bob', 'a third while you look']);
  await eventually(async () => ((await bob.page.title()) === '(3) Sotto' ? true : undefined), 'the tab title "(3) Sotto"');
  assert.equal((await recorded()).notifications.length, before, 'no notification while the page is visible');
  await openTab(bob, 'Chats');
  await bob.page.getByRole('button', { name: /alice/i }).first().click();
  await bob.page.getByRole('list', { name: 'Messages' }).getByText('a third while you look').waitFor();
  await eventually(async () => ((await bob.page.title()) === 'Sotto' ? true : undefined), 'the tab title back to "Sotto"');
});

test('a call rings with a WebAudio ringtone and a notification, touches no RTC or microphone, and stops on Decline', { skip }, async () => {
  await openTab(bob, 'Chats');
  await setHidden(true);
  const before = await recorded();
  const call = alice.run(['call', 'bob', '--allow-loopback-candidates'], { timeoutMs: 90_000 });
  await bob.page.getByRole('button', { name: 'Decline' }).waitFor({ timeout: 30_000 });
  const ringing = await eventually(async () => {
    const r = await recorded();
    return r.audio.oscillatorsStarted > before.audio.oscillatorsStarted ? r : undefined;
  }, 'the ringtone');
  assert.equal(ringing.audio.contexts, before.audio.contexts + 1, 'one AudioContext for the ringtone');
  assert.equal(ringing.audio.closed, before.audio.closed, 'still ringing');
  const calling = await eventually(async () => (await recorded()).notifications.find((n) => n.title.includes('is calling')), 'the call notification');
  assert.equal(calling.title, `${ALICE_NAME} is calling`);
  assert.deepEqual(await bob.rtc(), { peerConnections: 0, getUserMedia: 0, remoteDescriptions: 0, remoteCandidates: 0 }, 'nothing of RTC before Accept');
  await setHidden(false);
  await bob.page.getByRole('button', { name: 'Decline' }).click();
  await eventually(async () => ((await recorded()).audio.closed > ringing.audio.closed ? true : undefined), 'the ringtone to stop');
  assert.deepEqual(await bob.rtc(), { peerConnections: 0, getUserMedia: 0, remoteDescriptions: 0, remoteCandidates: 0 }, 'nothing of RTC after Decline');
  await call;
  // The declined call is a line in the chat with Alice, in its place among the messages.
  await bob.page.getByRole('button', { name: /alice/i }).first().click();
  const line = bob.page.getByRole('list', { name: 'Messages' }).locator('li.call-entry');
  await line.first().waitFor({ timeout: 30_000 });
  assert.equal(await line.count(), 1);
  assert.equal(await line.getAttribute('data-outcome'), 'declined');
  assert.match((await line.textContent()) ?? '', /^Declined · /);
  assert.equal(await bob.page.getByRole('list', { name: 'Messages' }).locator('li').last().getAttribute('data-outcome'), 'declined', 'the newest line');
  await bob.screenshot('chat-call-line');
});

test('a push makes the service worker show only "New message" (one, replaced by the next) when no window of the app is open', { skip }, async (t) => {
  // A page of no origin of ours holds the DevTools session, so every window of the app can close.
  const pusher = await bob.context.newPage();
  const cdp = await bob.context.newCDPSession(pusher);
  const registrations: { registrationId: string; scopeURL: string }[] = [];
  cdp.on('ServiceWorker.workerRegistrationUpdated', (e: { registrations: { registrationId: string; scopeURL: string }[] }) => registrations.push(...e.registrations));
  await cdp.send('ServiceWorker.enable');
  const registration = await eventually(async () => registrations.find((r) => r.scopeURL.startsWith(server.url)), 'the service worker registration');
  const push = () => cdp.send('ServiceWorker.deliverPushMessage', { origin: `${server.url}/`, registrationId: registration.registrationId, data: '{"v":1}' });
  const [worker] = bob.context.serviceWorkers();
  assert.ok(worker, 'the service worker runs');
  const shown = () => worker.evaluate(async () => (await (self as unknown as { registration: ServiceWorkerRegistration }).registration.getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag })));

  // The app on screen: the worker leaves telling to the app.
  await push();
  await bob.page.evaluate(() => navigator.serviceWorker.ready);
  assert.deepEqual(await shown(), [], 'no notification while a window of the app is visible');

  // Every window of the app closed, as when the installed app is not running: a message from
  // Alice makes the server push to the subscription the app gave it, and the push says nothing.
  assert.equal(pushService.received.length, 0, 'no push while the app was connected');
  await bob.page.close();
  await alice.ok(['send', 'bob', SECRET]);
  const sent = await eventually(async () => pushService.received[0], 'the server\'s push to the push service', 30_000);
  assert.equal(sent.path, '/push/bob');
  const claims = verifyVapid(sent.authorization);
  assert.equal(claims.sub, 'mailto:ops@example.org');
  assert.equal(claims.aud, pushService.origin);
  const payload = decryptPush(sent.body, subscription);
  assert.equal(payload, '{"v":1}');
  assert.ok(!sent.body.toString('latin1').includes('treasure'));
  t.diagnostic(`the server pushed ${sent.body.length} bytes to the subscription the web app made; VAPID verified (sub ${claims.sub}), decrypted: ${payload}`);
  // The push service hands it to the browser (done here through DevTools: Chromium's own service is out of reach).
  await push();
  await push();
  const list = await eventually(async () => {
    const now = await shown();
    return now.length > 0 ? now : undefined;
  }, 'the push notification');
  assert.deepEqual(list, [{ title: 'Sotto', body: 'New message', tag: 'sotto-new' }], 'one notification, saying nothing about any message');
  t.diagnostic(`after two pushes with no window open: ${JSON.stringify(list)}`);
  await cdp.detach();
});

test('on a server with push off, the switch says notifications come only while Sotto is open', { skip }, async () => {
  const quiet = await ServerProcess.start(join(dir.path, 'quiet-server'), ['--no-push']);
  const carol = await BrowserMember.open(browser, 'carol', quiet.url);
  try {
    await carol.context.grantPermissions(['notifications'], { origin: quiet.url });
    await registerInBrowser(carol);
    await openTab(carol, 'Settings');
    await carol.page.getByRole('switch', { name: 'Notifications' }).click();
    await carol.page.getByRole('status').getByText('This server does not send push notifications; you will be notified while Sotto is open.').waitFor();
    assert.equal(await carol.page.getByRole('switch', { name: 'Notifications' }).isChecked(), true);
  } finally {
    await carol.close();
    await quiet.stop();
  }
});
