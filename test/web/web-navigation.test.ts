/**
 * Scenario: navigation in the web app (issue 19), real Chromium against a real `sotto serve`.
 * Bob uses a phone-sized browser, Alice the CLI; they are contacts and share a group. Each screen
 * has its own address in the hash: a reload keeps the open chat, the group chat (its name looked
 * up, not read from the address) and Settings; Back from a chat goes to the chat list and Forward
 * returns, also when the chat was opened straight from its address; a hostile address and one
 * whose chat is gone show the list (the second says so). The contact-link (`#add=`) and
 * device-link (`#link=`) entry points still open their forms. Screenshots at phone (390 px),
 * desktop (1,100 px) and wide (1,600 px, the group's info as a third pane from 1,400 px).
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
import { acceptContact, openTab, registerInBrowser } from './ui.js';

const skip = browserSkipReason();
const dir = scratchDir('web-navigation');
const PHONE = { width: 390, height: 780 };
const DESKTOP = { width: 1100, height: 760 };
const WIDE = { width: 1600, height: 900 };
const GROUP = 'walkers';
let server: ServerProcess;
let browser: Browser;
let bob: BrowserMember;
const alice = new Member('alice', dir.path);

before(async () => {
  if (skip) return;
  server = await ServerProcess.start(join(dir.path, 'server'));
  browser = await launchBrowser();
  bob = await BrowserMember.open(browser, 'bob', server.url, PHONE);
  await registerInBrowser(bob);
  await alice.ok(['register', 'alice', '--server', server.url]);
  await alice.ok(['contacts', 'request', 'bob', 'Alice here']);
  await acceptContact(bob, 'alice');
  await alice.ok(['sync']);
  await alice.ok(['send', 'bob', 'hello from alice']);
  await alice.ok(['group', 'create', GROUP, 'bob']);
  await alice.ok(['group', 'send', GROUP, 'welcome to the walkers']);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  dir.remove();
});

function hashOf(member: BrowserMember): string {
  return new URL(member.page.url()).hash;
}

/** The chat list is what a phone shows (the list pane visible, no chat). */
async function showsList(member: BrowserMember): Promise<void> {
  await member.page.getByRole('list', { name: 'Conversations' }).waitFor({ state: 'visible' });
  assert.equal(await member.page.getByRole('region', { name: /^Chat with/ }).count(), 0, 'no chat is open');
}

async function showsChat(member: BrowserMember, title: string): Promise<void> {
  await member.page.getByRole('region', { name: `Chat with ${title}` }).getByRole('heading', { name: title }).waitFor({ timeout: 20_000 });
  assert.equal(await member.page.getByRole('list', { name: 'Conversations' }).isVisible(), false, 'on a phone the list is hidden behind the chat');
}

async function openFromList(member: BrowserMember, label: RegExp): Promise<void> {
  await openTab(member, 'Chats');
  await member.page.getByRole('button', { name: label }).click({ timeout: 30_000 });
}

test('a chat keeps its address across a reload; Back goes to the list and Forward returns (phone)', { skip }, async () => {
  const page = bob.page;
  await openFromList(bob, /^Chat with alice/);
  await showsChat(bob, 'alice');
  assert.equal(hashOf(bob), '#/chat/d/alice');
  await page.locator('.message', { hasText: 'hello from alice' }).waitFor();

  await page.reload();
  await showsChat(bob, 'alice');
  assert.equal(hashOf(bob), '#/chat/d/alice');
  await page.locator('.message', { hasText: 'hello from alice' }).waitFor();
  await bob.screenshot('navigation-chat-after-reload-phone');

  await page.goBack();
  await showsList(bob);
  assert.ok(['', '#/chats'].includes(hashOf(bob)), hashOf(bob));
  assert.ok(page.url().startsWith(server.url), 'still in the app');
  await page.goForward();
  await showsChat(bob, 'alice');

  // The chat's own back arrow is the browser's Back: no loop of entries is left behind.
  await page.getByRole('button', { name: 'Back to chats' }).click();
  await showsList(bob);
  await page.goForward();
  await showsChat(bob, 'alice');
});

test('a chat opened straight from its address has the list under it, so Back stays in the app', { skip }, async () => {
  const page = bob.page;
  // As if the address were opened in a new tab: no history entry of ours.
  await page.evaluate(() => history.replaceState(null, '', '#/chat/d/alice'));
  await page.reload();
  await showsChat(bob, 'alice');
  await page.goBack();
  await showsList(bob);
  assert.ok(page.url().startsWith(server.url), `still in the app: ${page.url()}`);
  assert.equal(hashOf(bob), '#/chats');
});

test('a group chat and Settings restore after a reload; the group\'s name comes from the engine', { skip }, async () => {
  const page = bob.page;
  await openFromList(bob, new RegExp(`^Group ${GROUP}`));
  await showsChat(bob, GROUP);
  const hash = hashOf(bob);
  assert.match(hash, /^#\/chat\/g\/[0-9a-f]{64}$/);
  assert.ok(!hash.includes(GROUP), 'the group\'s name is not in the address');
  await page.reload();
  await showsChat(bob, GROUP);
  await page.locator('.message', { hasText: 'welcome to the walkers' }).waitFor();

  await page.getByRole('button', { name: 'Group info' }).click();
  await page.getByRole('heading', { name: GROUP }).waitFor();
  assert.equal(hashOf(bob), `#/group/${hash.slice('#/chat/g/'.length)}/info`);
  await page.reload();
  await page.getByRole('region', { name: 'Members' }).or(page.getByRole('heading', { name: GROUP })).first().waitFor();
  assert.equal(hashOf(bob), `#/group/${hash.slice('#/chat/g/'.length)}/info`);
  await page.goBack();
  await showsChat(bob, GROUP);

  await openTab(bob, 'Settings');
  assert.equal(hashOf(bob), '#/settings');
  await page.reload();
  await page.getByRole('heading', { name: 'Settings' }).waitFor({ timeout: 20_000 });
  assert.equal(await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Settings' }).getAttribute('aria-current'), 'page');
  await page.goBack();
  await showsChat(bob, GROUP);
});

test('hostile and stale addresses show the chat list; a gone chat says so', { skip }, async () => {
  const page = bob.page;
  for (const hostile of ['#/chat/d/../../x', '#/chat/g/not-hex', `#/chat/d/${'a'.repeat(5000)}`, '#/chat/d/%2e%2e', '#javascript:alert(1)']) {
    // Typed into the address bar of the open app...
    await page.evaluate((h) => { location.hash = h; }, hostile);
    await showsList(bob);
    await eventually(async () => (hashOf(bob) === '#/chats' ? true : undefined), `${hostile.slice(0, 40)} replaced by the list's address`);
    // ...and opened afresh.
    await page.evaluate((h) => history.replaceState(null, '', h), hostile);
    await page.reload();
    await page.getByLabel('Signed in as bob').waitFor({ timeout: 30_000 });
    await showsList(bob);
    assert.equal(hashOf(bob), '#/chats');
  }
  assert.equal(await page.getByRole('status').filter({ hasText: 'That chat is no longer here.' }).count(), 0, 'a malformed address is not a gone chat');

  // A well-formed group id this browser is not in (left, or never joined): the list, with a short sentence.
  const stale = `#/chat/g/${'0'.repeat(64)}`;
  await page.evaluate((h) => history.replaceState(null, '', h), stale);
  await page.reload();
  await page.getByRole('status').filter({ hasText: 'That chat is no longer here.' }).waitFor({ timeout: 20_000 });
  await showsList(bob);
  assert.equal(hashOf(bob), '#/chats');
  await bob.screenshot('navigation-stale-chat-phone');
  // A direct chat with someone who is not a contact: the same.
  await page.evaluate(() => { location.hash = '#/chat/d/mallory'; });
  await page.getByRole('status').filter({ hasText: 'That chat is no longer here.' }).waitFor();
  await showsList(bob);
  // The sentence goes with the next screen.
  await openFromList(bob, /^Chat with alice/);
  await showsChat(bob, 'alice');
  assert.equal(await page.getByText('That chat is no longer here.').count(), 0);
});

test('the contact-link and device-link entry points still open their forms', { skip }, async () => {
  const page = bob.page;
  const token = 'A'.repeat(22);
  const link = `${server.url}/#add=alice/${token}`;
  // Opened afresh (a link tapped elsewhere): Contacts, the form filled in, the link gone from the address.
  await page.evaluate((h) => history.replaceState(null, '', h), `#add=alice/${token}`);
  await page.reload();
  await page.getByLabel('Their username').waitFor({ timeout: 30_000 });
  assert.equal(await page.getByLabel('Their username').inputValue(), 'alice');
  assert.equal(await page.getByLabel(/Their contact link/).inputValue(), link);
  assert.equal(hashOf(bob), '#/contacts');
  // Pasted into the address bar of the open app: the same.
  await openTab(bob, 'Chats');
  await page.evaluate((h) => { location.hash = h; }, `#add=alice/${token}`);
  await eventually(async () => ((await page.getByLabel('Their username').inputValue()) === 'alice' ? true : undefined), 'the form filled from a pasted link');
  assert.equal(await page.getByLabel(/Their contact link/).inputValue(), link);
  assert.equal(hashOf(bob), '#/contacts');

  // A device link opened in a browser with no account: the link form with the code in it, nothing sent.
  const code = 'abcd-efgh-ijkl-mnop';
  const fresh = await BrowserMember.open(browser, 'newdevice', `${server.url}/#link=${code}`, PHONE);
  try {
    assert.equal(await fresh.page.getByLabel('Link code').inputValue(), code);
    await fresh.page.getByRole('button', { name: 'Link this browser' }).waitFor();
  } finally {
    await fresh.close();
  }
});

test('desktop and wide layouts use the width; the phone shows one pane (screenshots)', { skip }, async () => {
  const page = bob.page;
  await openFromList(bob, /^Chat with alice/);
  await showsChat(bob, 'alice');
  await bob.screenshot('navigation-chat-phone');

  await page.setViewportSize(DESKTOP);
  await page.getByRole('list', { name: 'Conversations' }).waitFor({ state: 'visible' });
  await bob.screenshot('navigation-chat-desktop-1100');

  await page.setViewportSize(WIDE);
  // The messages keep to a readable column: the incoming bubble is not at the window's far left.
  const pane = await page.locator('.main-pane').boundingBox();
  const bubble = await page.locator('.message', { hasText: 'hello from alice' }).boundingBox();
  assert.ok(pane && bubble);
  assert.ok(bubble.x - pane.x > 100, `the bubble sits in a centred column (${bubble.x - pane.x} px from the pane's edge)`);
  await bob.screenshot('navigation-chat-wide-1600');

  // A group's info opens beside its chat as a third pane; closing it keeps the chat.
  await openFromList(bob, new RegExp(`^Group ${GROUP}`));
  await page.getByRole('region', { name: `Chat with ${GROUP}` }).waitFor();
  await page.getByRole('button', { name: 'Group info' }).click();
  const info = page.getByRole('complementary', { name: 'Group info' });
  await info.getByRole('heading', { name: GROUP }).waitFor();
  assert.ok(await page.getByRole('region', { name: `Chat with ${GROUP}` }).isVisible(), 'the chat stays open beside the info');
  await bob.screenshot('navigation-group-info-wide-1600');
  await info.getByRole('button', { name: 'Close group info' }).click();
  await info.waitFor({ state: 'detached' });
  assert.match(hashOf(bob), /^#\/chat\/g\//);

  // 1,100 px: the info replaces the chat (room for two panes; three from 1,400 px).
  await page.getByRole('button', { name: 'Group info' }).click();
  await page.setViewportSize(DESKTOP);
  await eventually(async () => ((await page.getByRole('region', { name: `Chat with ${GROUP}` }).count()) === 0 ? true : undefined), 'the info alone at 1,100 px');
  await page.getByRole('heading', { name: GROUP }).waitFor();
  await bob.screenshot('navigation-group-info-desktop-1100');
  await page.setViewportSize(PHONE);
});
