/**
 * Scenario: calls in the conversation (issue 19), in real Chromium against a real `sotto serve`
 * (which has no TURN relay). Alice on a desktop, Bob on a phone. The call is a bar above the
 * panes, so the two go on chatting while it rings and runs; a ring never takes focus from the
 * composer (Enter must not answer a call by accident); Accept hands focus to Hang up, and the end
 * of the call gives it back; the packet counters hide behind "Call details"; the call log shows
 * each call's outcome and calls back. Lockdown on a server without a relay warns when turned on,
 * and an Accept it cannot carry says why and ends the caller's ring.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { BrowserMember, browserSkipReason, eventually, launchBrowser } from '../support/browser.js';
import { scratchDir } from '../support/paths.js';
import { ServerProcess } from '../support/server-process.js';
import { audit, check } from './axe.js';
import { keepScreenshot, openDesktopAndPhoneContacts, openDirectChat, openTab, sendMessage } from './ui.js';

const skip = browserSkipReason();
const dir = scratchDir('web-call-bar');
let server: ServerProcess;
let browser: Browser;
let alice: BrowserMember;
let bob: BrowserMember;

before(async () => {
  if (skip) return;
  server = await ServerProcess.start(join(dir.path, 'server'));
  browser = await launchBrowser();
  ({ alice, bob } = await openDesktopAndPhoneContacts(browser, server.url));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  dir.remove();
});

const activeText = (member: BrowserMember) => member.page.evaluate(() => document.activeElement?.textContent ?? document.activeElement?.tagName);
const activeTag = (member: BrowserMember) => member.page.evaluate(() => document.activeElement?.tagName);
const callActive = (member: BrowserMember) => eventually(async () => ((await member.page.getByTestId('call-status').textContent())?.match(/^\d+:\d\d$/) ? true : undefined), `the call active at ${member.name}`, 30_000);

test('chatting during a call: the ring leaves the composer its focus, Accept hands it to Hang up, messages go both ways during the call', { skip }, async (t) => {
  await openDirectChat(alice, 'bob');
  await openDirectChat(bob, 'alice');
  const composer = alice.page.getByLabel('Message', { exact: true });
  await composer.click();
  await composer.pressSequentially('half a sentence');

  await bob.page.getByRole('button', { name: 'Call alice' }).click();
  // Bob placed the call from a button, so focus goes to Hang up.
  await bob.page.getByRole('region', { name: 'Call with alice' }).getByText('Ringing…').waitFor();
  assert.equal(await activeText(bob), 'Hang up');

  const ring = alice.page.getByRole('dialog', { name: 'Call from bob' });
  await ring.getByText('is calling you').waitFor({ timeout: 20_000 });
  // Alice was typing: the ring does not take her focus, and her draft goes on.
  assert.equal(await activeTag(alice), 'TEXTAREA');
  await composer.pressSequentially(' and the rest');
  assert.equal(await composer.inputValue(), 'half a sentence and the rest');
  assert.deepEqual(await alice.rtc(), { peerConnections: 0, getUserMedia: 0, remoteDescriptions: 0, remoteCandidates: 0 });
  // The bar sits above the chat, not over it: the chat's header is below the bar's bottom edge.
  const barBox = await ring.boundingBox();
  const headerBox = await alice.page.getByRole('heading', { name: 'bob' }).boundingBox();
  assert.ok(barBox && headerBox && headerBox.y >= barBox.y + barBox.height, `header at ${headerBox?.y}, bar ends at ${(barBox?.y ?? 0) + (barBox?.height ?? 0)}`);
  await keepScreenshot(alice, 'call-bar-ringing-desktop');
  check('the ringing call bar', await audit(alice), t);

  await ring.getByRole('button', { name: 'Accept' }).click();
  await callActive(alice);
  await callActive(bob);
  assert.equal(await activeText(alice), 'Hang up');

  // Chatting during the call, both ways.
  await composer.fill('Can you hear me? Sending the address here');
  await composer.press('Enter');
  await bob.page.locator('.message.in', { hasText: 'Sending the address here' }).waitFor({ timeout: 20_000 });
  await sendMessage(bob, 'Got it, thanks');
  await alice.page.locator('.message.in', { hasText: 'Got it, thanks' }).waitFor({ timeout: 20_000 });

  // The counters are out of sight until asked for.
  assert.equal(await alice.page.getByTestId('call-stats').count(), 0);
  await alice.page.getByText('Call details').click();
  const stats = alice.page.getByTestId('call-stats');
  await eventually(async () => Number(await stats.getAttribute('data-received')) > 20 ? true : undefined, 'packets counted');
  await keepScreenshot(alice, 'call-bar-active-desktop');
  await keepScreenshot(bob, 'call-bar-active-phone');
  check('the call bar during a call', await audit(bob), t);

  // Another screen keeps the call; the bar's name brings the chat back.
  await openTab(alice, 'Contacts');
  await alice.page.getByRole('button', { name: 'Mute' }).click();
  await alice.page.getByRole('button', { name: 'Unmute' }).waitFor();
  await alice.page.getByRole('button', { name: 'bob, open the chat' }).click();
  await alice.page.getByRole('heading', { name: 'bob' }).waitFor();

  // Focus in the bar when the call ends goes back where it was when the call began (the composer).
  await alice.page.getByRole('button', { name: 'Hang up' }).focus();
  await bob.page.getByRole('button', { name: 'Hang up' }).click();
  await alice.page.getByText('They hung up').waitFor({ timeout: 20_000 });
  assert.equal(await activeTag(alice), 'TEXTAREA');
  assert.equal(await alice.page.getByRole('region', { name: 'Call with bob' }).count(), 0);
});

test('the call log shows how each call went and calls back', { skip }, async () => {
  await openTab(alice, 'Calls');
  const log = alice.page.getByRole('list', { name: 'Call log' });
  await log.getByText(/Incoming call, \d+:\d\d/).waitFor();
  await log.getByRole('button', { name: 'Call bob back' }).first().click();
  const ring = bob.page.getByRole('dialog', { name: 'Call from alice' });
  await ring.getByText('is calling you').waitFor({ timeout: 20_000 });
  // Bob's focus was on no text field: the ring puts it on Accept, so Enter would answer.
  assert.equal(await activeText(bob), 'Accept');
  await ring.getByRole('button', { name: 'Decline' }).click();
  await alice.page.getByText('They declined the call').waitFor({ timeout: 20_000 });
  const declined = log.locator('li[data-outcome="declined"]').first();
  await declined.getByText('Declined by them').waitFor();
  assert.equal(await declined.locator('.call-icon.bad').count(), 1);
  assert.equal(await log.locator('li[data-outcome="answered"] .call-icon.ok').count(), 1);
  await keepScreenshot(alice, 'call-log-desktop');
  await openTab(bob, 'Calls');
  await bob.page.getByRole('list', { name: 'Call log' }).getByText('Declined').first().waitFor();
  await keepScreenshot(bob, 'call-log-phone');
});

test('lockdown on a server without a relay: a warning when turned on; an Accept it cannot carry says why and ends the ring; a failed call\'s error can be dismissed', { skip }, async () => {
  await openTab(bob, 'Settings');
  await bob.page.getByRole('switch', { name: 'Lockdown mode' }).check();
  const warning = bob.page.getByRole('alert').filter({ hasText: 'no relay (TURN)' });
  await warning.waitFor();
  await warning.scrollIntoViewIfNeeded();
  await keepScreenshot(bob, 'lockdown-no-relay-warning-phone');

  // Alice calls; Bob accepts; his lockdown needs a relay the server lacks: he is told, she stops ringing.
  const rtcBefore = await bob.rtc();
  await openDirectChat(alice, 'bob');
  await alice.page.getByRole('button', { name: 'Call bob' }).click();
  const ring = bob.page.getByRole('dialog', { name: 'Call from alice' });
  await ring.getByRole('button', { name: 'Accept' }).click({ timeout: 20_000 });
  const problem = bob.page.getByRole('alert').filter({ hasText: 'need a relay (TURN)' });
  await problem.waitFor();
  await alice.page.getByText('They declined the call').waitFor({ timeout: 20_000 });
  assert.deepEqual(await bob.rtc(), rtcBefore, 'the refused Accept touched no RTC');
  await problem.getByRole('button', { name: 'Dismiss' }).click();
  await problem.waitFor({ state: 'detached' });

  // Bob, still in lockdown, calls: the error stays only until dismissed.
  await openDirectChat(bob, 'alice');
  await bob.page.getByRole('button', { name: 'Call alice' }).click();
  const error = bob.page.getByRole('alert').filter({ hasText: 'need a relay (TURN)' });
  await error.waitFor();
  assert.equal(await alice.page.getByRole('dialog', { name: 'Call from bob' }).count(), 0, 'nothing rang');
  await keepScreenshot(bob, 'call-error-dismissable-phone');
  await error.getByRole('button', { name: 'Dismiss' }).click();
  await error.waitFor({ state: 'detached' });
  await openTab(bob, 'Settings');
  await bob.page.getByRole('switch', { name: 'Lockdown mode' }).uncheck();
  await bob.page.getByRole('alert').filter({ hasText: 'no relay (TURN)' }).waitFor({ state: 'detached' });
});
