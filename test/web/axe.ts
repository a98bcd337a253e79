/**
 * axe-core in the browser tests: WCAG 2.1 A and AA rules on the page as it is. A violation axe
 * rates serious or critical fails the test, with its rule, the elements and axe's help text;
 * moderate and minor ones are reported as diagnostics.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { BrowserMember } from '../support/browser.js';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly { readonly target: readonly string[] }[];
}

/** axe's violations on the page as it is now (WCAG 2.1 A and AA rules). */
export async function audit(member: BrowserMember): Promise<AxeViolation[]> {
  // Evaluated through the debugging protocol: the app's Content-Security-Policy (script-src 'self')
  // rightly refuses an inline script tag, and the test must not weaken it.
  await member.page.evaluate(AXE);
  return member.page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
}

export function check(screen: string, violations: AxeViolation[], t: { diagnostic(message: string): void }): void {
  const say = (v: AxeViolation) => `${screen}: ${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')}`;
  for (const v of violations.filter((x) => x.impact !== 'serious' && x.impact !== 'critical')) t.diagnostic(say(v));
  const bad = violations.filter((x) => x.impact === 'serious' || x.impact === 'critical');
  assert.deepEqual(bad.map(say), [], `${screen} has serious or critical accessibility violations`);
}
