/**
 * Scenario (scale-out, issue 20): a group call whose members are on different nodes. Two
 * `sotto serve` nodes share one PostgreSQL database and one NATS, and both arrange calls on one
 * Debian Janus. Ana is on node 0, Ben and Cat on node 1; each joins the group's call through
 * their own node playing a tone of their own, and each recording holds the other two tones and
 * not their own (Goertzel): both nodes handed out tickets to one room, and every frame was sealed
 * and opened with keys from the group's MLS. After the call, the shared store holds no call record.
 * (How a removal on one node withdraws another node's admission: services/group-calls-cluster.test.ts.)
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { goertzel, readWav, sineWave, writeWav } from '@sotto/client-node/calls';
import { Member } from '../support/cli.js';
import { JanusProcess, requireJanus } from '../support/janus-process.js';
import { assertHeardOthers } from '../support/group-call-runs.js';
import { scratchDir } from '../support/paths.js';
import { ServerProcess } from '../support/server-process.js';
import { NatsProcess, TestDatabase, requireServices } from '../support/services.js';

const services = await requireServices();
const janusSkip = requireJanus();
const TONES = { ana: 440, ben: 660, cat: 880 } as const;

describe('a group call across two nodes on one Janus', { skip: services.skip ?? janusSkip.skip }, () => {
  const dir = scratchDir('group-calls-cluster');
  let db: TestDatabase;
  let nats: NatsProcess;
  let janus: JanusProcess;
  const nodes: ServerProcess[] = [];
  const ana = new Member('ana', dir.path);
  const ben = new Member('ben', dir.path);
  const cat = new Member('cat', dir.path);

  before(async () => {
    db = await TestDatabase.create();
    nats = await NatsProcess.start(join(dir.path, 'nats'));
    janus = await JanusProcess.start({ rtpPortMin: 41_400 });
    const secretFile = join(dir.path, 'sfu-secret');
    writeFileSync(secretFile, janus.secret, { mode: 0o600 });
    for (let i = 0; i < 2; i++) {
      nodes.push(await ServerProcess.start(join(dir.path, `node${i}`), ['--db', db.url, '--bus', nats.url, '--sfu', janus.url, '--sfu-secret-file', secretFile]));
    }
    await ana.ok(['register', 'ana', '--server', nodes[0]!.url]);
    for (const m of [ben, cat]) await m.ok(['register', m.name, '--server', nodes[1]!.url]);
    for (const m of [ben, cat]) {
      await ana.ok(['contacts', 'request', m.name, 'hi']);
      await m.ok(['sync']);
      await m.ok(['contacts', 'accept', 'ana']);
    }
    await ana.ok(['sync']);
    await ana.ok(['group', 'create', 'band', 'ben', 'cat']);
    for (const m of [ben, cat]) await m.ok(['sync']);
    for (const [name, hz] of Object.entries(TONES)) await writeWav(join(dir.path, `${name}.wav`), sineWave(hz, 2, 48_000));
  });

  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await janus?.dispose();
    await nats?.stop();
    await db?.drop();
    dir.remove();
  });

  test('members on two nodes join one room: each hears the other two tones and not their own', { timeout: 90_000 }, async (t) => {
    const members = [ana, ben, cat];
    const runs = await Promise.all(
      members.map((m) =>
        m.run(['group', 'call', 'band', '--allow-loopback-candidates', '--play', join(dir.path, `${m.name}.wav`), '--record', join(dir.path, `${m.name}-heard.wav`), '--seconds', '8'], { timeoutMs: 60_000 }),
      ),
    );
    for (const [i, run] of runs.entries()) {
      const name = members[i]!.name;
      assert.equal(run.code, 0, `${name}: ${run.stderr}`);
      assertHeardOthers(name, run, members.map((m) => m.name).filter((n) => n !== name));
      const pcm = await readWav(join(dir.path, `${name}-heard.wav`));
      const tail = pcm.subarray(Math.max(0, pcm.length - 3 * 48_000));
      const levels = Object.fromEntries(Object.entries(TONES).map(([who, hz]) => [who, goertzel(tail, hz, 48_000)]));
      t.diagnostic(`${name} (node ${name === 'ana' ? 0 : 1}): tone levels in the last 3 s ${JSON.stringify(levels, (_, v: unknown) => (typeof v === 'number' ? Number(v.toFixed(3)) : v))}`);
      for (const [who, level] of Object.entries(levels)) {
        if (who === name) assert.ok(level < 0.02, `${name} heard their own tone: ${JSON.stringify(levels)}`);
        else assert.ok(level > 0.1, `${name} did not hear ${who}: ${JSON.stringify(levels)}`);
      }
    }
    // Everyone left: the call's record is gone from the shared store, whichever node took the last one out.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      assert.deepEqual((await client.query('SELECT count(*)::int AS n FROM group_calls')).rows, [{ n: 0 }]);
    } finally {
      await client.end();
    }
  });
});
