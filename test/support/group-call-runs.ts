/**
 * @module test/support/group-call-runs
 * What a `sotto group call` run says it heard, checked the same way in every scenario.
 */
import assert from 'node:assert/strict';
import type { CliResult } from './cli.js';

/**
 * `name` heard exactly `others`, each at least once. A name heard twice is allowed only after a
 * subscription failed and was asked for again (the CLI says so on stderr). Otherwise it was a
 * participant announced again after they left: late packets of a feed being torn down did that
 * until calls/group/received-feeds.ts (issue 20), so it fails here, with the member's steps.
 */
export function assertHeardOthers(name: string, run: CliResult, others: readonly string[]): void {
  const heard = run.records.filter((r) => r.state === 'hearing').map((r) => String(r.user)).sort();
  const steps = run.records.filter((r) => r.type === 'group-call').map((r) => `${String(r.state)}${r.user ? ` ${String(r.user)}` : ''}`);
  const retried = run.stderr.includes('a subscription failed');
  assert.ok(heard.length === new Set(heard).size || retried, `${name} heard ${JSON.stringify(heard)} with no subscription failed; its steps: ${steps.join(', ')}; stderr: ${run.stderr}`);
  assert.deepEqual([...new Set(heard)], [...others].sort(), `${name} heard ${JSON.stringify(heard)}; stderr: ${run.stderr}`);
}
