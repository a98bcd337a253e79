/**
 * @module test-metrics
 * For tests: counters as a running server's `/metrics` serves them. A counter missing from the
 * text fails the test; read as a number it would be NaN, which deep-equals NaN and hides it.
 */
import assert from 'node:assert/strict';

/** The values of unlabelled counters `names`, by name, from the server at `url`. */
export async function scrapeCounters<Name extends string>(url: string, names: readonly Name[]): Promise<Record<Name, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const values = {} as Record<Name, number>;
  for (const name of names) {
    const line = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
    assert.ok(line, `${name} in /metrics`);
    values[name] = Number(line[1]);
  }
  return values;
}

/** The delivery pumps' two counters: entries taken from their notification, and mailbox reads. */
export async function mailboxCounters(url: string): Promise<{ carried: number; reads: number }> {
  const counters = await scrapeCounters(url, ['sotto_mailbox_carried_total', 'sotto_mailbox_reads_total']);
  return { carried: counters.sotto_mailbox_carried_total, reads: counters.sotto_mailbox_reads_total };
}
