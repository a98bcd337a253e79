// Loaded into a benchmarked `sotto serve` with `node --import` (bench/hop-tail.mjs), never into a
// production server: records what can hold a message up inside the server, with wall-clock times
// (performance.timeOrigin + now, comparable across processes on one machine), and writes them to
// `${SOTTO_BENCH_TRACE}.${pid}.json` when the process exits.
// - every SQLite COMMIT, timed around better-sqlite3's synchronous run(): the WAL write and its
//   fsync (and a WAL checkpoint when one runs inside the commit), during which the event loop waits;
// - every garbage collection pause (perf_hooks' 'gc' entries).
// The server's code is untouched: `Database.prototype.prepare` is wrapped so that statements whose
// text is COMMIT time their run().
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { PerformanceObserver } from 'node:perf_hooks';

const prefix = process.env.SOTTO_BENCH_TRACE;
if (prefix) {
  const trace = { commits: [], gc: [] };
  const wallClock = (t) => performance.timeOrigin + t;
  // The server's own copy of better-sqlite3: resolved from the repository's root, as the server's import is.
  const Database = createRequire(new URL('../../package.json', import.meta.url))('better-sqlite3');
  const prepare = Database.prototype.prepare;
  Database.prototype.prepare = function prepareTimed(source, ...rest) {
    const statement = prepare.call(this, source, ...rest);
    if (String(source).trim().toUpperCase() !== 'COMMIT') return statement;
    const run = statement.run.bind(statement);
    statement.run = (...args) => {
      const start = performance.now();
      try {
        return run(...args);
      } finally {
        trace.commits.push([wallClock(start), performance.now() - start]);
      }
    };
    return statement;
  };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) trace.gc.push([wallClock(entry.startTime), entry.duration]);
  }).observe({ entryTypes: ['gc'] });
  process.on('exit', () => writeFileSync(`${prefix}.${process.pid}.json`, JSON.stringify(trace)));
}
