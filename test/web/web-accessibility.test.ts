/**
 * Scenario: the web app's main screens checked with axe-core (issue 19), in real Chromium against a
 * real `sotto serve`, at desktop and phone sizes: the welcome screen, the chat list, a chat with
 * messages, contacts, the call log, settings and the verify screen. A violation axe rates serious
 * or critical fails the test, with its rule, the elements and axe's help text; moderate and minor
 * ones are reported as diagnostics.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { BrowserMember, browserSkipReason, launchBrowser } from '../support/browser.js';
import { Member } from '../support/cli.js';
import { scratchDir } from '../support/paths.js';
import { ServerProcess } from '../support/server-process.js';
import { acceptContact, openDirectChat, openTab, registerInBrowser, sendMessage } from './ui.js';

const skip = browserSkipReason();
const dir = scratchDir('web-a11y');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
let server: ServerProcess;
let browser: Browser;
const alice = new Member('alice', dir.path);

interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly { readonly target: readonly string[] }[];
}

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

/** axe's violations on the page as it is now (WCAG 2.1 A and AA rules). */
async function audit(member: BrowserMember): Promise<AxeViolation[]> {
  // Evaluated through the debugging protocol: the app's Content-Security-Policy (script-src 'self')
  // rightly refuses an inline script tag, and the test must not weaken it.
  await member.page.evaluate(AXE);
  return member.page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
}

function check(screen: string, violations: AxeViolation[], t: { diagnostic(message: string): void }): void {
  const say = (v: AxeViolation) => `${screen}: ${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')}`;
  for (const v of violations.filter((x) => x.impact !== 'serious' && x.impact !== 'critical')) t.diagnostic(say(v));
  const bad = violations.filter((x) => x.impact === 'serious' || x.impact === 'critical');
  assert.deepEqual(bad.map(say), [], `${screen} has serious or critical accessibility violations`);
}

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
