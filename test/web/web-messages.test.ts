/**
 * Scenario: everyday messaging in the web app (issue 19), in real Chromium against a real
 * `sotto serve` and the real CLI. Bob uses a browser; Alice and Carol are CLI profiles.
 * Alice's texts arrive while Bob is elsewhere: opening the chat shows a date line and the
 * "unread" line, her link is clickable and her hostile markup stays text. From the message menu
 * Bob replies, reacts, edits, deletes for everyone (after a confirm) and forwards to Carol; each
 * reaches the CLI (`sync --json`). Alice's reaction, edit, deletion, reply and forward from the
 * CLI show in the browser live. Bob sets disappearing messages in the chat header; the CLI sees
 * the notice and the timer, and a message under Alice's 1-minute timer shows its time left.
 * The composer grows and refuses 4,001 characters. Screenshots at desktop and phone sizes.
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
import { befriendFromCli, bubbleOf, keepScreenshot, messageAction, openChatFromList, openMessageMenu, openTab, registerInBrowser, sendMessage } from './ui.js';

const skip = browserSkipReason();
const dir = scratchDir('web-messages');
const PHONE = { width: 390, height: 780 };
const DESKTOP = { width: 1100, height: 760 };
let server: ServerProcess;
let browser: Browser;
let bob: BrowserMember;
const alice = new Member('alice', dir.path);
const carol = new Member('carol', dir.path);

const LINK_TEXT = 'The notes are at https://example.org/notes?id=7.';
const HOSTILE = '<img src=x onerror="window.__pwned=1"> javascript:alert(1) <a href="javascript:alert(2)">tap</a> <b>bold</b>';
const QUESTION = 'Dinner at eight?';

/** What `sync --json` printed for messages, each replaced by its later `message-changed` record: the CLI's view of each message. */
interface Seen { type: string; messageId?: string; body?: string; text?: string; replyTo?: string; editedAt?: number; deletedAt?: number; forwarded?: boolean; expiresAt?: number; reactions?: { user: string; emoji: string }[] }
class CliView {
  readonly messages = new Map<string, Seen>();
  readonly notices: string[] = [];
  constructor(private readonly member: Member) {}

  async sync(): Promise<this> {
    for (const r of (await this.member.ok(['sync'])) as unknown as Seen[]) {
      if (r.type === 'notice') this.notices.push(String(r.text));
      // Each record is the whole message as it stands now.
      if ((r.type === 'message' || r.type === 'message-changed') && r.messageId) this.messages.set(r.messageId, r);
    }
    return this;
  }

  find(check: (m: Seen) => boolean): Seen | undefined {
    return [...this.messages.values()].find(check);
  }

  /** Syncs until `check` finds something; each try is a whole CLI run, so a loaded machine gets a minute. */
  until(check: (m: Seen) => boolean, what: string): Promise<Seen> {
    return eventually(async () => (await this.sync()).find(check), what, 60_000);
  }
}
const atAlice = new CliView(alice);
const atCarol = new CliView(carol);

async function sent(member: Member, args: string[]): Promise<string> {
  const record = (await member.ok(args)).find((r) => r.type === 'sent');
  assert.ok(record?.messageId, `sotto ${args.join(' ')} printed the id it sent`);
  return String(record.messageId);
}

before(async () => {
  if (skip) return;
  server = await ServerProcess.start(join(dir.path, 'server'));
  browser = await launchBrowser();
  bob = await BrowserMember.open(browser, 'bob', server.url, DESKTOP);
  await registerInBrowser(bob);
  await befriendFromCli(bob, [{ name: 'alice', member: alice }, { name: 'carol', member: carol }], server.url);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  dir.remove();
});

let questionId = '';

test('opening a chat: a date line, the unread line, a clickable link, and hostile markup left as text', { skip }, async () => {
  const page = bob.page;
  await page.evaluate(() => ((window as unknown as { __pwned?: number }).__pwned = 0));
  await sent(alice, ['send', 'bob', LINK_TEXT]);
  await sent(alice, ['send', 'bob', HOSTILE]);
  questionId = await sent(alice, ['send', 'bob', QUESTION]);
  await openTab(bob, 'Chats');
  await page.getByRole('button', { name: 'Chat with alice, 3 unread' }).click({ timeout: 30_000 });
  await page.getByRole('heading', { name: 'alice' }).waitFor();
  await page.locator('.message.in', { hasText: QUESTION }).waitFor();

  assert.equal(await page.locator('.unread-divider').textContent(), '3 unread messages');
  assert.deepEqual(await page.locator('.day-separator').allTextContents(), ['Today']);
  // The divider sits right before Alice's first unread text.
  assert.equal(await page.locator('.unread-divider + li.message').getByText(LINK_TEXT.slice(0, 16)).count(), 1);

  const link = page.getByRole('link', { name: 'https://example.org/notes?id=7' });
  assert.equal(await link.getAttribute('href'), 'https://example.org/notes?id=7');
  assert.equal(await link.getAttribute('target'), '_blank');
  assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
  // The sentence's full stop is not part of the address.
  assert.equal(await link.textContent(), 'https://example.org/notes?id=7');

  const hostile = bubbleOf(bob, HOSTILE);
  assert.equal(await hostile.locator('.body').textContent(), HOSTILE, 'shown as the very characters sent');
  assert.equal(await page.locator('.messages img, .messages b, .messages script').count(), 0, 'no markup made from a text');
  assert.equal(await hostile.getByRole('link').count(), 0, 'no javascript: link');
  assert.equal(await page.locator('a[href^="javascript"]').count(), 0);
  assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), 0, 'no handler ran');
});

let fixedId = '';

test("the message menu: others' messages offer no edit or delete; reply, react, edit, delete for everyone and forward each reach the CLI", { skip }, async () => {
  const page = bob.page;
  const menu = page.getByRole('menu', { name: 'Message actions' });

  // By keyboard: the menu button takes focus, Enter opens the menu on its first item, Escape closes it.
  const questionMenu = bubbleOf(bob, QUESTION).getByRole('button', { name: /^Message actions/ });
  await questionMenu.focus();
  await page.keyboard.press('Enter');
  await menu.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'React with 👍');
  const items = await menu.getByRole('menuitem').allTextContents();
  assert.deepEqual(items, ['👍', '❤️', '😂', '😮', '😢', '🙏', 'Reply', 'Forward', 'Copy text'], "no Edit or Delete on Alice's message");
  await page.keyboard.press('Escape');
  await menu.waitFor({ state: 'hidden' });
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), `Message actions: ${QUESTION}`, 'focus back on the menu button');

  // Reply: the composer quotes the message, the sent reply shows the quote above its text.
  await messageAction(bob, QUESTION, 'Reply');
  const replying = page.getByRole('group', { name: 'Replying' });
  assert.match((await replying.textContent()) ?? '', /Replying to alice.*Dinner at eight\?/);
  await sendMessage(bob, 'Yes, eight works');
  await replying.waitFor({ state: 'hidden' });
  const reply = bubbleOf(bob, 'Yes, eight works');
  assert.equal(await reply.locator('.quote').textContent(), `alice${QUESTION}`);

  // React: a chip under Alice's message.
  await messageAction(bob, QUESTION, 'React with 👍');
  await bubbleOf(bob, QUESTION).getByRole('button', { name: '👍 1: you. Remove your reaction' }).waitFor();

  // Edit: own text, the composer in edit mode with Cancel; "Edited" by the time.
  await sendMessage(bob, 'Typo mesage');
  await openMessageMenu(bob, 'Typo mesage');
  assert.deepEqual(await menu.getByRole('menuitem').allTextContents(), ['👍', '❤️', '😂', '😮', '😢', '🙏', 'Reply', 'Edit', 'Forward', 'Copy text', 'Delete for everyone']);
  await menu.getByRole('menuitem', { name: 'Edit' }).click();
  await page.getByRole('group', { name: 'Editing a message' }).getByRole('button', { name: 'Cancel edit' }).waitFor();
  const composer = page.getByLabel('Message', { exact: true });
  assert.equal(await composer.inputValue(), 'Typo mesage');
  await composer.fill('Fixed message');
  await page.getByRole('button', { name: 'Save' }).click();
  await bubbleOf(bob, 'Fixed message').locator('.edited', { hasText: 'Edited' }).waitFor();
  assert.equal(await composer.inputValue(), '', 'the composer is back to a new message');

  // Delete for everyone, after a confirm: the text is gone from the page, not hidden.
  await sendMessage(bob, 'Secret plan 42');
  await messageAction(bob, 'Secret plan 42', 'Delete for everyone');
  const confirm = page.getByRole('dialog', { name: 'Delete for everyone?' });
  await confirm.waitFor();
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await confirm.waitFor({ state: 'hidden' });
  assert.equal(await bubbleOf(bob, 'Secret plan 42').count(), 1, 'Cancel deletes nothing');
  await messageAction(bob, 'Secret plan 42', 'Delete for everyone');
  await confirm.getByRole('button', { name: 'Delete for everyone' }).click();
  await page.locator('.message.out .deleted', { hasText: 'You deleted this message' }).waitFor();
  // The chat list's preview follows a moment later (it reloads after the event): wait for it too.
  await eventually(async () => (!(await page.content()).includes('Secret plan 42') ? true : undefined), 'the deleted text gone from the DOM', 10_000);

  // Copy text: the words on the clipboard.
  await bob.context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await messageAction(bob, QUESTION, 'Copy text');
  await page.getByRole('status').filter({ hasText: 'Copied.' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), QUESTION);

  // Forward Alice's link to Carol.
  await messageAction(bob, LINK_TEXT, 'Forward');
  const forward = page.getByRole('dialog', { name: 'Forward to…' });
  await forward.getByRole('button', { name: 'Forward to carol' }).click();
  await page.getByRole('status').filter({ hasText: 'Forwarded to carol.' }).waitFor();

  // Each at the other side.
  const answer = await atAlice.until((m) => m.body === 'Yes, eight works', 'the reply at alice');
  assert.equal(answer.replyTo, questionId);
  const reacted = await atAlice.until((m) => m.messageId === questionId && (m.reactions?.length ?? 0) > 0, 'the reaction at alice');
  assert.deepEqual(reacted.reactions?.map((r) => `${r.user}:${r.emoji}`), ['bob:👍']);
  const fixed = await atAlice.until((m) => m.body === 'Fixed message' && m.editedAt !== undefined, 'the edit at alice');
  fixedId = fixed.messageId!;
  const gone = await atAlice.until((m) => m.deletedAt !== undefined, 'the deletion at alice');
  assert.equal(gone.body, '');
  assert.ok(![...atAlice.messages.values()].some((m) => m.body === 'Secret plan 42' && m.deletedAt === undefined), 'no undeleted copy left at alice');
  const copy = await atCarol.until((m) => m.body === LINK_TEXT, 'the forward at carol');
  assert.equal(copy.forwarded, true);
});

test("the CLI's reaction, edit, deletion, reply and forward show in the browser live; Bob's own chip takes his reaction back", { skip }, async () => {
  const page = bob.page;
  const original = await sent(alice, ['send', 'bob', 'Originl from alice']);
  const oops = await sent(alice, ['send', 'bob', 'Oops, wrong chat']);
  await bubbleOf(bob, 'Oops, wrong chat').waitFor({ timeout: 30_000 });

  await alice.ok(['react', fixedId, '❤️']);
  await bubbleOf(bob, 'Fixed message').getByRole('button', { name: '❤️ 1: alice. React with ❤️' }).waitFor({ timeout: 30_000 });
  await alice.ok(['edit', original, 'Original from alice']);
  await bubbleOf(bob, 'Original from alice').locator('.edited').waitFor({ timeout: 30_000 });
  await alice.ok(['delete', oops]);
  await page.locator('.message.in .deleted', { hasText: 'This message was deleted' }).waitFor({ timeout: 30_000 });
  // The chat list's preview follows a moment later (it reloads after the event): wait for it too.
  await eventually(async () => (!(await page.content()).includes('Oops, wrong chat') ? true : undefined), 'the deleted text gone from the DOM', 30_000);
  await alice.ok(['send', 'bob', '--reply', fixedId, 'Nice fix']);
  const niceFix = bubbleOf(bob, 'Nice fix');
  await niceFix.waitFor({ timeout: 30_000 });
  // The quote leads to the original, highlighted. The highlight lasts 2.5 s, so it is watched for
  // from before the click: on a loaded machine the round trips after a click can take longer.
  await page.evaluate((id) => {
    const original = document.getElementById(`message-${id}`)!;
    const seen = window as unknown as { __highlighted?: boolean };
    seen.__highlighted = false;
    new MutationObserver(() => {
      if (original.classList.contains('highlight')) seen.__highlighted = true;
    }).observe(original, { attributes: true, attributeFilter: ['class'] });
  }, fixedId);
  await niceFix.getByRole('button', { name: 'Reply to You: Fixed message. Go to the message' }).click();
  await page.waitForFunction(() => (window as unknown as { __highlighted?: boolean }).__highlighted === true);
  assert.equal(await page.evaluate(() => document.activeElement?.id), `message-${fixedId}`);
  await alice.ok(['forward', original, 'bob']);
  await page.locator('li.message.in', { hasText: '↪ Forwarded' }).filter({ hasText: 'Original from alice' }).waitFor({ timeout: 30_000 });

  // Bob's own chip: activating it takes his reaction back, at Alice too.
  await bubbleOf(bob, QUESTION).getByRole('button', { name: '👍 1: you. Remove your reaction' }).click();
  await bubbleOf(bob, QUESTION).locator('.reactions').waitFor({ state: 'detached' });
  await atAlice.until((m) => m.messageId === questionId && (m.reactions ?? []).length === 0, 'the reaction taken back at alice');
});

test('disappearing messages: set in the header, the CLI sees the notice and the timer; a 1-minute timer from the CLI shows on the next message', { skip }, async () => {
  const page = bob.page;
  await page.getByRole('button', { name: 'Disappearing messages: Off' }).click();
  const dialog = page.getByRole('dialog', { name: 'Disappearing messages' });
  assert.deepEqual(await dialog.getByRole('radio').evaluateAll((radios) => radios.map((r) => (r.parentElement?.textContent ?? '').trim())), ['Off', '1 hour', '1 day', '1 week', '90 days']);
  await dialog.getByRole('radio', { name: '1 day' }).check();
  await keepScreenshot(bob, 'messages-disappearing-setting-desktop');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await page.locator('.chat-notice.timer', { hasText: 'You set disappearing messages to 1 day' }).waitFor();
  await page.locator('.header-timer', { hasText: '1 day' }).waitFor();
  await eventually(async () => ((await atAlice.sync()).notices.includes('bob set disappearing messages to 1 day') ? true : undefined), 'the notice at alice', 30_000);
  assert.equal((await alice.ok(['timer', 'bob'])).find((r) => r.type === 'timer')?.seconds, 86_400);

  await sendMessage(bob, 'Gone tomorrow');
  assert.match((await bubbleOf(bob, 'Gone tomorrow').locator('.expires').textContent()) ?? '', /^(1 d|23 h)$/);
  const atDay = await atAlice.until((m) => m.body === 'Gone tomorrow', 'the day-long message at alice');
  assert.ok(atDay.expiresAt && atDay.expiresAt > Date.now() + 86_000_000, 'alice keeps it a day');

  await alice.ok(['timer', 'bob', '1m']);
  await page.locator('.chat-notice.timer', { hasText: 'alice set disappearing messages to 1 minute' }).waitFor({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Disappearing messages: 1 minute' }).waitFor();
  await sendMessage(bob, 'Gone in a minute');
  assert.match((await bubbleOf(bob, 'Gone in a minute').locator('.expires').textContent()) ?? '', /^(\d\d? s|1 min)$/);
  // A timer set elsewhere to a value the list lacks is shown as chosen.
  await page.getByRole('button', { name: 'Disappearing messages: 1 minute' }).click();
  assert.equal(await dialog.getByRole('radio', { name: '1 minute' }).isChecked(), true);
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  await keepScreenshot(bob, 'messages-disappearing-desktop');
});

test('the composer grows with its text and refuses 4,001 characters with a count', { skip }, async () => {
  const page = bob.page;
  const composer = page.getByLabel('Message', { exact: true });
  const oneLine = (await composer.boundingBox())!.height;
  await composer.fill('one\ntwo\nthree');
  const threeLines = (await composer.boundingBox())!.height;
  assert.ok(threeLines > oneLine + 20, `grew from ${oneLine} to ${threeLines} px`);
  await composer.fill('x'.repeat(4000));
  assert.equal(await page.getByRole('button', { name: 'Send' }).isEnabled(), true, '4,000 is allowed');
  const capped = (await composer.boundingBox())!.height;
  assert.ok(capped < 200, `stops growing and scrolls (${capped} px)`);
  await composer.fill('x'.repeat(4001));
  await page.getByText('Too long to send: 1 over the 4,000-character limit (4,001 / 4,000).').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Send' }).isEnabled(), false);
  await composer.press('Enter');
  assert.equal(await composer.inputValue(), 'x'.repeat(4001), 'Enter sends nothing and keeps the text');
  await keepScreenshot(bob, 'messages-composer-limit-desktop');
  await composer.fill('');
});

test('screenshots: a chat with a reply, reactions, edited, deleted and forwarded messages and notices, with the menu open, at desktop and phone sizes', { skip }, async () => {
  const page = bob.page;
  await alice.ok(['react', fixedId, '😂']);
  await carol.ok(['sync']);
  await bubbleOf(bob, 'Fixed message').getByRole('button', { name: /😂 1: alice/ }).waitFor({ timeout: 30_000 });
  // One reaction per account: Alice's 😂 replaced her ❤️; Bob's 😂 makes two.
  assert.equal(await bubbleOf(bob, 'Fixed message').getByRole('button', { name: /❤️/ }).count(), 0);
  await messageAction(bob, 'Fixed message', 'React with 😂');
  await bubbleOf(bob, 'Fixed message').getByRole('button', { name: '😂 2: alice, you. Remove your reaction' }).waitFor();
  await messageAction(bob, 'Nice fix', 'React with 🙏');
  await bubbleOf(bob, 'Nice fix').scrollIntoViewIfNeeded();
  await keepScreenshot(bob, 'messages-chat-desktop');
  await openMessageMenu(bob, 'Nice fix');
  await keepScreenshot(bob, 'messages-menu-desktop');
  await page.keyboard.press('Escape');

  await page.setViewportSize(PHONE);
  await openChatFromList(bob, /Chat with alice/);
  await bubbleOf(bob, 'Nice fix').waitFor();
  await bubbleOf(bob, 'Nice fix').scrollIntoViewIfNeeded();
  await keepScreenshot(bob, 'messages-chat-phone');
  await openMessageMenu(bob, QUESTION);
  await keepScreenshot(bob, 'messages-menu-phone');
  await page.keyboard.press('Escape');
  await messageAction(bob, 'Nice fix', 'Reply');
  await keepScreenshot(bob, 'messages-reply-phone');
  await page.getByRole('button', { name: 'Cancel reply' }).click();
  await page.getByRole('button', { name: /^Disappearing messages/ }).click();
  await keepScreenshot(bob, 'messages-disappearing-setting-phone');
  await page.keyboard.press('Escape');
  await page.setViewportSize(DESKTOP);
});
