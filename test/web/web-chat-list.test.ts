/**
 * Scenario: keeping the chat list (issue 19), in real Chromium against a real `sotto serve` and
 * the real CLI. Bob uses a browser; Alice and Carol are CLI profiles. Bob mutes and pins Alice's
 * chat from its header (Chat options): the row moves to the top with its pin and a grey count,
 * and her next message adds nothing to the tab title while Carol's does. Bob archives Carol's
 * chat: it leaves the list for "Archived (1)" and comes back when unarchived. The search box
 * finds messages on this device, across chats, and opens the chat; hostile markup in a result
 * stays text. (That the flags follow the account to its other devices is the engine's devices test.)
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
import { befriendFromCli, keepScreenshot, openTab, registerInBrowser } from './ui.js';

const skip = browserSkipReason();
const dir = scratchDir('web-chat-list');
const DESKTOP = { width: 1100, height: 760 };
const PHONE = { width: 390, height: 780 };
let server: ServerProcess;
let browser: Browser;
let bob: BrowserMember;
const alice = new Member('alice', dir.path);
const carol = new Member('carol', dir.path);
const HOSTILE = '<img src=x onerror="window.__pwned=1"> lantern <b>bold</b>';

before(async () => {
  if (skip) return;
  server = await ServerProcess.start(join(dir.path, 'server'));
  browser = await launchBrowser();
  bob = await BrowserMember.open(browser, 'bob', server.url, DESKTOP);
  await registerInBrowser(bob);
  await befriendFromCli(bob, [{ name: 'alice', member: alice }, { name: 'carol', member: carol }], server.url);
  await alice.ok(['send', 'bob', 'Where is the lantern?']);
  await carol.ok(['send', 'bob', 'Tea later?']);
  await openTab(bob, 'Chats');
  await bob.page.getByRole('button', { name: /^Chat with carol, 1 unread/ }).waitFor({ timeout: 30_000 });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  dir.remove();
});

/** The chat list's rows, top to bottom, by their accessible names. */
async function rowNames(list = 'Conversations'): Promise<string[]> {
  const names = await bob.page.getByRole('list', { name: list, exact: true }).locator('.chat-row-open').evaluateAll((buttons) => buttons.map((b) => b.getAttribute('aria-label') ?? ''));
  return names;
}

async function chatOptions(peer: string, change: (dialog: ReturnType<BrowserMember['page']['getByRole']>) => Promise<void>): Promise<void> {
  const page = bob.page;
  await page.getByRole('button', { name: new RegExp(`^Chat with ${peer}\\b`) }).click();
  await page.getByRole('heading', { name: peer }).waitFor();
  await page.getByRole('button', { name: 'Chat options' }).click();
  const dialog = page.getByRole('dialog', { name: 'Chat options' });
  await change(dialog);
  await dialog.getByRole('button', { name: 'Save' }).click();
  await dialog.waitFor({ state: 'detached' });
  await openTab(bob, 'Chats');
}

test("mute and pin from the chat's header: pinned first, a grey count, and the tab title leaves it out", { skip }, async () => {
  const page = bob.page;
  assert.match((await rowNames())[0]!, /^Chat with carol/, 'newest first before any pin');
  await chatOptions('alice', async (dialog) => {
    await dialog.getByRole('radio', { name: 'Mute always' }).check();
    await dialog.getByRole('checkbox', { name: 'Pin to the top' }).check();
    await keepScreenshot(bob, 'chat-options');
  });
  await eventually(async () => ((await rowNames())[0]?.startsWith('Chat with alice') ? true : undefined), 'alice pinned to the top', 10_000);
  assert.deepEqual(await rowNames(), ['Chat with alice, pinned, muted', 'Chat with carol, 1 unread']);

  await alice.ok(['send', 'bob', 'Found it.']);
  await carol.ok(['send', 'bob', 'Four o’clock?']);
  await page.getByRole('button', { name: 'Chat with carol, 2 unread' }).waitFor({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Chat with alice, 1 unread, pinned, muted' }).waitFor({ timeout: 30_000 });
  const aliceRow = page.locator('.chat-row', { has: page.getByRole('button', { name: /^Chat with alice/ }) });
  assert.equal(await aliceRow.locator('.badge.quiet').textContent(), '1', "a muted chat's count is grey");
  assert.equal(await aliceRow.getByTestId('pinned').count(), 1);
  assert.equal(await aliceRow.getByTestId('muted').count(), 1);
  // Only Carol's unread messages count in the title: a muted chat asks for no attention.
  await eventually(async () => ((await page.title()) === '(2) Sotto' ? true : undefined), 'the title counts carol only', 10_000);
  assert.equal((await rowNames())[0], 'Chat with alice, 1 unread, pinned, muted', 'still first though carol wrote last');
  await keepScreenshot(bob, 'chat-list-pinned-muted');
});

test('archive takes a chat out of the list into Archived; unarchive brings it back', { skip }, async () => {
  const page = bob.page;
  await chatOptions('carol', async (dialog) => {
    await dialog.getByRole('checkbox', { name: /^Archive/ }).check();
  });
  await page.getByRole('button', { name: /^Archived/ }).waitFor();
  assert.equal(await page.getByRole('button', { name: /^Archived/ }).textContent(), 'Archived (1)');
  assert.deepEqual((await rowNames()).map((n) => n.split(',')[0]), ['Chat with alice']);
  await page.getByRole('button', { name: /^Archived/ }).click();
  await page.getByRole('heading', { name: 'Archived' }).waitFor();
  assert.deepEqual((await rowNames('Archived conversations')).map((n) => n.split(',')[0]), ['Chat with carol']);
  await keepScreenshot(bob, 'chat-list-archived');
  await page.getByRole('button', { name: 'Back to chats' }).click();
  await page.getByRole('heading', { name: 'Chats', exact: true }).waitFor();
  await keepScreenshot(bob, 'chat-list-archived-entry');
  await page.getByRole('button', { name: /^Archived/ }).click();

  await chatOptions('carol', async (dialog) => {
    await dialog.getByRole('checkbox', { name: /^Archive/ }).uncheck();
  });
  // Its last chat unarchived, the archive closes by itself.
  await page.getByRole('heading', { name: 'Chats', exact: true }).waitFor();
  await eventually(async () => ((await rowNames()).length === 2 ? true : undefined), 'carol back in the list', 10_000);
  assert.equal(await page.getByRole('button', { name: /^Archived/ }).count(), 0, 'no Archived entry when nothing is archived');
});

test('search finds messages on this device across chats, opens the chat, and leaves markup as text', { skip }, async () => {
  const page = bob.page;
  await page.evaluate(() => ((window as unknown as { __pwned?: number }).__pwned = 0));
  await carol.ok(['send', 'bob', HOSTILE]);
  await page.getByRole('button', { name: /^Chat with carol, \d unread/ }).waitFor({ timeout: 30_000 });
  const box = page.getByRole('searchbox', { name: 'Search messages on this device' });
  await box.fill('LANTERN');
  const results = page.getByRole('list', { name: 'Search results' });
  await eventually(async () => ((await results.locator('li').count()) === 2 ? true : undefined), 'two results', 10_000);
  assert.equal(await page.getByRole('status').filter({ hasText: 'messages' }).textContent(), '2 messages');
  const previews = await results.locator('.chat-row-preview').allTextContents();
  assert.deepEqual(previews, [HOSTILE, 'Where is the lantern?'], 'newest first, markup shown as text');
  assert.equal(await results.locator('img').count(), 0);
  assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), 0);
  await keepScreenshot(bob, 'chat-list-search');

  await box.fill('nothing like this');
  await page.getByText('No messages found on this device.').waitFor();

  await box.fill('lantern');
  await results.getByRole('button', { name: /^Chat with alice/ }).click();
  await page.getByRole('heading', { name: 'alice' }).waitFor();
  await page.locator('.message.in', { hasText: 'Where is the lantern?' }).waitFor();
});

test('at phone size the list keeps its flags and search', { skip }, async () => {
  const page = bob.page;
  await page.setViewportSize(PHONE);
  await openTab(bob, 'Chats');
  await page.getByRole('searchbox', { name: 'Search messages on this device' }).fill('');
  await page.getByRole('button', { name: /^Chat with alice/ }).waitFor();
  assert.match((await rowNames())[0]!, /^Chat with alice.*pinned, muted$/);
  await keepScreenshot(bob, 'chat-list-phone');
  await page.setViewportSize(DESKTOP);
});
