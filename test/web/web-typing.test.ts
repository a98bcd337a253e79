/**
 * Scenario: typing indicators (issue 19), in real Chromium against a real `sotto serve`, with the
 * CLI for the setting. Alice on a desktop, Bob on a phone. Alice typing shows "typing…" in Bob's
 * chat header; clearing the box, or sending, ends it; in a group, Bob reads who is typing. With
 * Bob's indicators off (Settings → Privacy), neither sees the other typing. The CLI turns them off
 * and on with `sotto settings --typing`.
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
import { keepScreenshot, openChatFromList, openDesktopAndPhoneContacts, openDirectChat, openTab, sendMessage } from './ui.js';

const skip = browserSkipReason();
const dir = scratchDir('web-typing');
let server: ServerProcess;
let browser: Browser;
let alice: BrowserMember;
let bob: BrowserMember;
const carol = new Member('carol', dir.path);

before(async () => {
  if (skip) return;
  server = await ServerProcess.start(join(dir.path, 'server'));
  browser = await launchBrowser();
  ({ alice, bob } = await openDesktopAndPhoneContacts(browser, server.url));
  await openDirectChat(alice, 'bob');
  await sendMessage(alice, 'hello bob');
  await openDirectChat(bob, 'alice');
  await bob.page.locator('.message.in', { hasText: 'hello bob' }).waitFor({ timeout: 20_000 });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  dir.remove();
});

const subtitle = (member: BrowserMember) => member.page.getByTestId('chat-subtitle');
const composer = (member: BrowserMember) => member.page.getByLabel('Message', { exact: true });

/** Every text the chat header's subtitle shows from now on, to show what was never shown. */
async function recordSubtitles(member: BrowserMember): Promise<() => Promise<string[]>> {
  await member.page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { __subtitles: string[] }).__subtitles = seen;
    const target = document.querySelector('[data-testid="chat-subtitle"]');
    if (!target) throw new Error('no chat header');
    new MutationObserver(() => seen.push(target.textContent ?? '')).observe(target, { childList: true, characterData: true, subtree: true });
  });
  return () => member.page.evaluate(() => (window as unknown as { __subtitles: string[] }).__subtitles);
}

test('alice typing shows "typing…" to bob; clearing the box or sending ends it', { skip }, async () => {
  await composer(alice).pressSequentially('on my way');
  await eventually(async () => ((await subtitle(bob).textContent()) === 'typing…' ? true : undefined), 'bob to see alice typing');
  await keepScreenshot(bob, 'typing-indicator-phone');
  await composer(alice).fill('');
  await eventually(async () => ((await subtitle(bob).textContent()) === 'End-to-end encrypted' ? true : undefined), 'it to end when the box is cleared');

  await composer(alice).pressSequentially('see you at six');
  await eventually(async () => ((await subtitle(bob).textContent()) === 'typing…' ? true : undefined), 'bob to see alice typing again');
  await composer(alice).press('Enter');
  await bob.page.locator('.message.in', { hasText: 'see you at six' }).waitFor({ timeout: 20_000 });
  await eventually(async () => ((await subtitle(bob).textContent()) === 'End-to-end encrypted' ? true : undefined), 'her message to end it');
  assert.equal(await subtitle(alice).textContent(), 'End-to-end encrypted', 'nobody sees their own typing');
});

test('in a group, bob reads who is typing', { skip }, async () => {
  await alice.page.getByRole('button', { name: 'New group' }).click();
  await alice.page.getByLabel('Group name').fill('Supper');
  await alice.page.getByRole('checkbox', { name: 'bob' }).check();
  await alice.page.getByRole('button', { name: 'Create group' }).click();
  await alice.page.getByRole('heading', { name: 'Supper' }).waitFor();
  await sendMessage(alice, 'who brings bread?');
  await openChatFromList(bob, /Group Supper/);
  await bob.page.locator('.message.in', { hasText: 'who brings bread?' }).waitFor({ timeout: 20_000 });
  await composer(alice).pressSequentially('I can');
  await eventually(async () => ((await subtitle(bob).textContent()) === 'alice is typing…' ? true : undefined), 'bob to see who is typing');
  await keepScreenshot(bob, 'typing-indicator-group-phone');
  await composer(alice).fill('');
  await eventually(async () => ((await subtitle(bob).textContent())?.endsWith('members') ? true : undefined), 'the member count back');
});

test('typing indicators off (bob, in Settings): neither sees the other typing; the CLI turns them off and on', { skip }, async () => {
  await openTab(bob, 'Settings');
  await bob.page.getByRole('switch', { name: 'Typing indicators' }).uncheck();
  await keepScreenshot(bob, 'typing-indicator-setting-phone');
  // Stored, not only shown: the screen opened again reads it back from the device's store.
  await eventually(async () => {
    await openTab(bob, 'Chats');
    await openTab(bob, 'Settings');
    const typing = bob.page.getByRole('switch', { name: 'Typing indicators' });
    await typing.and(bob.page.locator(':enabled')).waitFor();
    return (await typing.isChecked()) ? undefined : true;
  }, 'the setting stored');
  await openDirectChat(bob, 'alice');
  await openChatFromList(alice, /Chat with bob/);
  const atBob = await recordSubtitles(bob);
  const atAlice = await recordSubtitles(alice);

  // Alice (on) types and sends: Bob (off) is shown nothing.
  await composer(alice).pressSequentially('are you there?');
  await composer(alice).press('Enter');
  await bob.page.locator('.message.in', { hasText: 'are you there?' }).waitFor({ timeout: 20_000 });
  // Bob (off) types and sends: Alice is told nothing.
  await composer(bob).pressSequentially('yes, here');
  await composer(bob).press('Enter');
  await alice.page.locator('.message.in', { hasText: 'yes, here' }).waitFor({ timeout: 20_000 });
  assert.deepEqual((await atBob()).filter((s) => s.includes('typing')), []);
  assert.deepEqual((await atAlice()).filter((s) => s.includes('typing')), []);

  // The CLI's setting: off, shown, on again.
  await carol.ok(['register', 'carol', '--server', server.url]);
  const [off] = await carol.ok(['settings', '--typing', 'off']);
  assert.equal(off?.typingIndicators, false);
  const [on] = await carol.ok(['settings', '--typing', 'on']);
  assert.equal(on?.typingIndicators, true);
  const bad = await carol.run(['settings', '--typing', 'sometimes']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /--typing is on or off/);
});
