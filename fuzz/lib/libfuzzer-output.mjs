/**
 * @module fuzz/lib/libfuzzer-output
 * Reads libFuzzer's (and Jazzer.js's) output: the figures of a run, and the report of a finding.
 */

/** The last status line (`cov: ft: corp:`) and the `-print_final_stats=1` figures. */
export function parseStats(text) {
  const last = (re) => [...text.matchAll(re)].at(-1);
  const status = last(/cov: (\d+) ft: (\d+) corp: (\d+)\/(\S+)/g);
  const stat = (name) => last(new RegExp(`stat::${name}:\\s+(\\d+)`, 'g'))?.[1];
  // The final stats come last; when a long recommended dictionary pushed them out of the log
  // before it was read, the DONE status line has the same two figures.
  const done = last(/^#(\d+)\s+DONE .*exec\/s: (\d+)/gm);
  return {
    execs: Number(stat('number_of_executed_units') ?? done?.[1] ?? 0),
    execPerSec: Number(stat('average_exec_per_sec') ?? done?.[2] ?? 0),
    newUnits: Number(stat('new_units_added') ?? 0),
    cov: status ? Number(status[1]) : 0,
    ft: status ? Number(status[2]) : 0,
    corpus: status ? `${status[3]}/${status[4]}` : '-',
    seed: last(/INFO: Seed: (\d+)/g)?.[1] ?? '-',
  };
}

/** The lines from Jazzer's report of a finding (or libFuzzer's own) to the mutation summary. */
export function findingReport(text) {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^==\d+== |ALARM|ERROR: libFuzzer|Uncaught Exception/.test(l));
  if (start < 0) return lines.slice(-30).join('\n');
  const end = lines.findIndex((l, i) => i > start && l.startsWith('MS: '));
  return lines.slice(start, end < 0 ? start + 40 : end).join('\n');
}
