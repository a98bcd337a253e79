/**
 * Scenario: the web app's main screens checked with axe-core (issue 19), in real Chromium against a
 * real `sotto serve`, at desktop and phone sizes: the welcome screen, the chat list, a chat with
 * messages, contacts, the call log, settings and the verify screen. A violation axe rates serious
 * or critical fails the test, with its rule, the elements and axe's help text; moderate and minor
 * ones are reported as diagnostics.
 *
 * @paired It may run beside one other @paired scenario (scripts/run-tests.mjs): it makes no call
 *   and restarts no shared service.
 */
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { BrowserMember, browserSkipReason, launchBrowser } from '../support/browser.js';
import { Member } from '../support/cli.js';
import { scratchDir } from '../support/paths.js';
import { ServerProcess } from '../support/server-process.js';
import { audit, check } from './axe.js';
import { acceptContact, openDirectChat, openTab, registerInBrowser, sendMessage } from './ui.js';

const skip = browserSkipReason();
const dir = scratchDir('web-a11y');
let server: ServerProcess;
let browser: Browser;
const alice = new Member('alice', dir.path);

before(async () => {
  if (skip) return;
  server = await ServerProcess.start(join(dir.path, 'server'));
  browser = await launchBrowser();
  await alice.ok(['register', 'alice', '--server', server.url]);
});
after(async () => {
  await browser?.close();
  await server?.stop();
  dir.remove();
});

for (const [size, viewport] of [['desktop', { width: 1100, height: 760 }], ['phone', { width: 390, height: 780 }]] as const) {
  test(`the main screens at ${size} size have no serious or critical axe violations`, { skip }, async (t) => {
    const name = `bob${size}`;
    const bob = await BrowserMember.open(browser, name, server.url, viewport);
    try {
      check('welcome', await audit(bob), t);
      await registerInBrowser(bob);
      check('chat list (empty)', await audit(bob), t);
      await alice.ok(['contacts', 'request', name, 'hello']);
      await acceptContact(bob, 'alice');
      await openDirectChat(bob, 'alice');
      await sendMessage(bob, 'Hello, a link: https://example.org/page and some words');
      await alice.ok(['sync']);
      await alice.ok(['send', name, 'A reply from the CLI']);
      await bob.page.locator('.message.in', { hasText: 'A reply from the CLI' }).waitFor({ timeout: 30_000 });
      check('chat', await audit(bob), t);
      await bob.page.getByRole('button', { name: 'Verify' }).click();
      await bob.page.getByText(/safety number|60 digits/i).first().waitFor({ timeout: 20_000 });
      check('verify', await audit(bob), t);
      for (const tab of ['Contacts', 'Calls', 'Settings'] as const) {
        await openTab(bob, tab);
        check(tab.toLowerCase(), await audit(bob), t);
      }
    } finally {
      await bob.context.close();
    }
  });
}
