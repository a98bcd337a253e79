/**
 * Scenario: blocking, unblocking and taking back a request in the web app (issue 19), in real
 * Chromium against a real `sotto serve` and the real CLI. Bob uses a browser; Alice and Carol are
 * CLI profiles. Block asks first (Cancel leaves the request as it was); once blocked, Alice's new
 * request never reaches Bob; Unblock lets her next one through. Bob's own request to Carol is
 * taken back with "Cancel request" and is gone from Carol's side too. When Dee (CLI) accepts Bob's
 * request, Bob's chat with her says "dee accepted your request", once, and still after a reload.
 *
 * @paired It may run beside one other @paired scenario (scripts/run-tests.mjs): it makes no call
 *   and restarts no shared service.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { BrowserMember, browserSkipReason, eventually, launchBrowser } from '../support/browser.js';
import { Member } from '../support/cli.js';
import { scratchDir } from '../support/paths.js';
import { ServerProcess } from '../support/server-process.js';
import { keepScreenshot, openDirectChat, openTab, registerInBrowser, requestContact } from './ui.js';

const skip = browserSkipReason();
const dir = scratchDir('web-contacts');
let server: ServerProcess;
let browser: Browser;
let bob: BrowserMember;
const alice = new Member('alice', dir.path);
const carol = new Member('carol', dir.path);
const dee = new Member('dee', dir.path);

before(async () => {
  if (skip) return;
  server = await ServerProcess.start(join(dir.path, 'server'));
  browser = await launchBrowser();
  await alice.ok(['register', 'alice', '--server', server.url]);
  await carol.ok(['register', 'carol', '--server', server.url]);
  await dee.ok(['register', 'dee', '--server', server.url]);
  bob = await BrowserMember.open(browser, 'bob', server.url, { width: 1100, height: 760 });
  await registerInBrowser(bob);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  dir.remove();
});

async function stateAt(member: Member, peer: string): Promise<string | undefined> {
  await member.ok(['sync']);
  return (await member.ok(['contacts', 'list'])).find((r) => r.username === peer)?.state as string | undefined;
}

test('Block asks first; a blocked member\'s new request never arrives; Unblock lets the next one through', { skip }, async () => {
  const page = bob.page;
  await alice.ok(['contacts', 'request', 'bob', 'Alice here']);
  await openTab(bob, 'Contacts');
  const incoming = page.getByRole('list', { name: 'Incoming contact requests' });
  await incoming.getByText('Alice here').waitFor({ timeout: 30_000 });

  await page.getByRole('button', { name: 'Block alice' }).click();
  const confirm = page.getByRole('dialog', { name: 'Block alice?' });
  await confirm.waitFor();
  assert.match((await confirm.textContent()) ?? '', /alice will not be told/);
  await keepScreenshot(bob, 'contacts-block-confirm');
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await confirm.waitFor({ state: 'detached' });
  assert.equal(await incoming.getByText('Alice here').count(), 1, 'Cancel leaves the request as it was');

  await page.getByRole('button', { name: 'Block alice' }).click();
  await confirm.getByRole('button', { name: 'Block', exact: true }).click();
  const blocked = page.getByRole('list', { name: 'Blocked' });
  await blocked.getByRole('button', { name: 'Unblock alice' }).waitFor();
  assert.equal(await page.getByRole('list', { name: 'Incoming contact requests' }).count(), 0);

  // Alice asks again: the server tells her nothing, and nothing reaches Bob.
  await alice.ok(['contacts', 'request', 'bob', 'Please?']);
  await page.reload();
  await page.getByRole('list', { name: 'Blocked' }).waitFor({ timeout: 30_000 });
  assert.equal(await page.getByText('Please?').count(), 0, "a blocked member's request is not shown");

  await page.getByRole('button', { name: 'Unblock alice' }).click();
  await page.getByRole('list', { name: 'Blocked' }).waitFor({ state: 'detached' });
  await alice.ok(['contacts', 'request', 'bob', 'Third time lucky']);
  await page.getByRole('list', { name: 'Incoming contact requests' }).getByText('Third time lucky').waitFor({ timeout: 30_000 });
});

test('Cancel request takes a sent request back from both sides', { skip }, async () => {
  const page = bob.page;
  await requestContact(bob, 'carol', 'Bob here');
  const outgoing = page.getByRole('list', { name: 'Outgoing contact requests' });
  await outgoing.getByRole('button', { name: 'Cancel request to carol' }).waitFor({ timeout: 30_000 });
  assert.equal(await stateAt(carol, 'bob'), 'pending', 'carol has the request');
  await outgoing.scrollIntoViewIfNeeded();
  await keepScreenshot(bob, 'contacts-waiting');

  await outgoing.getByRole('button', { name: 'Cancel request to carol' }).click();
  await page.getByRole('list', { name: 'Outgoing contact requests' }).waitFor({ state: 'detached' });
  await eventually(async () => ((await stateAt(carol, 'bob')) !== 'pending' ? true : undefined), "the request gone from carol's side", 30_000);
});

test("an accepted request: the chat with the new contact says 'dee accepted your request', once, and after a reload", { skip }, async () => {
  const page = bob.page;
  await requestContact(bob, 'dee', 'Bob asks Dee');
  await eventually(async () => ((await stateAt(dee, 'bob')) === 'pending' ? true : undefined), 'the request at dee', 30_000);
  await dee.ok(['contacts', 'accept', 'bob']);
  await page.getByRole('list', { name: 'Contacts' }).getByText('dee').waitFor({ timeout: 30_000 });
  await openDirectChat(bob, 'dee');
  const notice = page.locator('.chat-notice', { hasText: 'dee accepted your request' });
  await notice.waitFor({ timeout: 30_000 });
  assert.equal(await notice.count(), 1);
  await keepScreenshot(bob, 'contacts-accepted-notice');
  await page.reload();
  await page.getByLabel('Signed in as bob').waitFor({ timeout: 30_000 });
  await openDirectChat(bob, 'dee');
  await notice.waitFor({ timeout: 30_000 });
  assert.equal(await notice.count(), 1, 'stored once, still there after a reload');
});
