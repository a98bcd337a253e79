/**
 * @module test/support/group-call-runs
 * What a `sotto group call` run says it heard, checked the same way in every scenario.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { CliResult } from './cli.js';

/**
 * `name` heard exactly `others`, each at least once. A name heard twice is a participant's feed
 * reported gone and back (or a subscription asked for again after it failed): not a failure, as
 * the scenarios' tones show the audio came back, but its steps and stderr are printed to find why.
 */
export function assertHeardOthers(t: TestContext, name: string, run: CliResult, others: readonly string[]): void {
  const heard = run.records.filter((r) => r.state === 'hearing').map((r) => String(r.user)).sort();
  if (heard.length !== new Set(heard).size) {
    const steps = run.records.filter((r) => r.type === 'group-call').map((r) => `${String(r.state)}${r.user ? ` ${String(r.user)}` : ''}`);
    t.diagnostic(`${name} heard ${JSON.stringify(heard)}; its steps: ${steps.join(', ')}; stderr: ${run.stderr}`);
  }
  assert.deepEqual([...new Set(heard)], [...others].sort(), `${name} heard ${JSON.stringify(heard)}; stderr: ${run.stderr}`);
}
