/**
 * Scenario: group admins in the web app (issue 19), real Chromium against a real `sotto serve`.
 * Alice (CLI) creates a group with Erin (browser) and Carol (CLI). Erin's group info shows Alice
 * as "Admin" and, Erin being no admin, no way to add or remove anyone, only the sentence that
 * admins can. Alice makes Erin an admin from the CLI: Erin's page gains the Add form and a
 * "Make admin" per member; Erin makes Carol an admin, and Alice's CLI prints the notice.
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
const dir = scratchDir('web-group-admins');
let server: ServerProcess;
let browser: Browser;
let erin: BrowserMember;
const alice = new Member('alice', dir.path);
const carol = new Member('carol', dir.path);

before(async () => {
  if (skip) return;
  server = await ServerProcess.start(join(dir.path, 'server'));
  browser = await launchBrowser();
  erin = await BrowserMember.open(browser, 'erin', server.url);
  await registerInBrowser(erin);
  await befriendFromCli(erin, [{ name: 'alice', member: alice }, { name: 'carol', member: carol }], server.url);
  await alice.ok(['contacts', 'request', 'carol', 'hi']);
  await carol.ok(['contacts', 'accept', 'alice']);
  await alice.ok(['sync']);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  dir.remove();
});

test('the admin is marked; a member who is not one has no Add or Remove, until an admin makes them one', { skip }, async () => {
  await alice.ok(['group', 'create', 'club', 'erin', 'carol']);
  await openTab(erin, 'Chats');
  await erin.page.getByRole('button', { name: /Group club/ }).click({ timeout: 30_000 });
  await erin.page.getByRole('button', { name: 'Group info' }).click();
  const members = erin.page.getByRole('list', { name: 'Members' });
  const row = (name: string) => members.getByRole('listitem').filter({ hasText: name });
  await row('alice').getByText('Admin', { exact: true }).waitFor({ timeout: 30_000 });
  assert.equal(await row('erin').getByText('Admin', { exact: true }).count(), 0);
  await erin.page.getByRole('note').getByText('Only admins can add or remove members').waitFor();
  assert.equal(await erin.page.getByRole('form', { name: 'Add a member' }).count(), 0, 'no Add member control');
  assert.equal(await erin.page.getByLabel('Contact to add').count(), 0);
  assert.equal(await members.getByRole('button', { name: /^Remove / }).count(), 0, 'no Remove control');
  assert.equal(await members.getByRole('button', { name: /an admin$/ }).count(), 0, 'no Make admin control');
  await keepScreenshot(erin, 'group-admins-not-admin-desktop');

  await alice.ok(['group', 'admin', 'club', 'erin']);
  await row('erin').getByText('Admin', { exact: true }).waitFor({ timeout: 30_000 });
  await erin.page.getByRole('form', { name: 'Add a member' }).waitFor();
  assert.equal(await erin.page.getByRole('note').count(), 0);
  await members.getByRole('button', { name: 'Make carol an admin' }).click();
  await row('carol').getByText('Admin', { exact: true }).waitFor({ timeout: 30_000 });
  assert.equal(await members.getByRole('button', { name: /an admin$/ }).count(), 0, 'everyone is an admin now');
  await keepScreenshot(erin, 'group-admins-admin-desktop');
  await eventually(async () => {
    const records = await alice.ok(['sync']);
    return records.some((r) => r['type'] === 'notice' && r['text'] === 'erin made carol an admin') ? true : undefined;
  }, 'the notice at Alice\'s CLI', 30_000);
});
