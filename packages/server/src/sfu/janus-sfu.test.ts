/** @module sfu/janus-sfu.test The SfuControl contract against a real Janus, plus what only Janus's configuration decides. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../logger.js';
import { JanusSfu } from './janus-sfu.js';
import { JanusParticipant, JanusProcess, requireJanus } from './janus-test-env.js';
import { runSfuControlContract, type SfuHarness } from './sfu-control.contract.js';
import { SfuError } from './sfu-control.js';

const skip = requireJanus();
const logger = createLogger('sfu-test', { level: process.env.SOTTO_TEST_LOG === '1' ? 'debug' : 'silent' });

/** Quick reconnects, so the recovery test does not wait out production backoff. */
const FAST = { reconnectDelayMs: { first: 50, max: 500 }, requestTimeoutMs: 3_000 };

async function janusHarness(): Promise<SfuHarness> {
  const janus = await JanusProcess.start({ rtpPortMin: 41_000 });
  const control = new JanusSfu({ url: janus.url, secret: janus.secret, logger, ...FAST });
  await control.start();
  return {
    control,
    async tryJoin(admission, roomId) {
      const participant = await JanusParticipant.connect(janus.url, admission.token);
      try {
        const attached = await participant.attach();
        if (!attached.ok) return { joined: false, why: `${attached.code} ${attached.reason}` };
        const joined = await participant.join(roomId, admission.feedId, admission.joinToken);
        return joined.ok ? { joined: joined.data.videoroom === 'joined', why: JSON.stringify(joined.data) } : { joined: false, why: `${joined.code} ${joined.reason}` };
      } finally {
        participant.close();
      }
    },
    async joinAndStay(admission, roomId) {
      const participant = await JanusParticipant.connect(janus.url, admission.token);
      const attached = await participant.attach();
      const joined = attached.ok ? await participant.join(roomId, admission.feedId, admission.joinToken) : attached;
      if (!joined.ok) {
        participant.close();
        throw new Error(`the participant could not join: ${joined.code} ${joined.reason}`);
      }
      return { leave: () => participant.close() };
    },
    controlWithClock: (clock) => new JanusSfu({ url: janus.url, secret: janus.secret, logger, clock, ...FAST }),
    killSfu: () => janus.kill(),
    startSfu: () => janus.spawn(),
    async dispose() {
      await control.close();
      await janus.dispose();
    },
  };
}

runSfuControlContract('Janus VideoRoom', janusHarness, skip);

describe('Janus SFU: what its configuration decides', skip, () => {
  let janus: JanusProcess;
  let control: JanusSfu;
  before(async () => {
    janus = await JanusProcess.start({ rtpPortMin: 41_200 });
    control = new JanusSfu({ url: janus.url, secret: janus.secret, logger, ...FAST });
    await control.start();
  });
  after(async () => {
    await control?.close();
    await janus?.dispose();
  });

  test('a participant cannot create, list, destroy or take over rooms with its admission', async () => {
    const { roomId } = await control.createRoom({ maxParticipants: 4 });
    const admission = await control.admit(roomId, 'alice');
    const participant = await JanusParticipant.connect(janus.url, admission.token);
    try {
      assert.equal((await participant.attach()).ok, true);
      // Guessed keys, not missing ones: Janus must check them, not only their presence.
      const refusals = {
        create: await participant.videoroom({ request: 'create', room: 77, publishers: 100, admin_key: 'guess' }),
        destroy: await participant.videoroom({ request: 'destroy', room: roomId, secret: 'guess' }),
        'allow-list off': await participant.videoroom({ request: 'allowed', room: roomId, action: 'disable', secret: 'guess' }),
        kick: await participant.videoroom({ request: 'kick', room: roomId, id: admission.feedId, secret: 'guess' }),
        edit: await participant.videoroom({ request: 'edit', room: roomId, new_publishers: 100, secret: 'guess' }),
        'rtp forward': await participant.videoroom({ request: 'rtp_forward', room: roomId, publisher_id: admission.feedId, host: '127.0.0.1', audio_port: 9, admin_key: 'guess' }),
      };
      for (const [what, answer] of Object.entries(refusals)) {
        assert.ok(!answer.ok && answer.code === 433, `${what}: ${JSON.stringify(answer)}`);
      }
      const listed = await participant.videoroom({ request: 'list' });
      assert.ok(listed.ok && Array.isArray(listed.data.list) && listed.data.list.length === 0, 'private rooms are not listed');
    } finally {
      participant.close();
    }
  });

  test('revoking a participant who joined removes it from the room at once', async () => {
    const { roomId } = await control.createRoom({ maxParticipants: 4 });
    const alice = await control.admit(roomId, 'alice');
    const bob = await control.admit(roomId, 'bob');
    const a = await JanusParticipant.connect(janus.url, alice.token);
    const b = await JanusParticipant.connect(janus.url, bob.token);
    try {
      await a.attach();
      await b.attach();
      assert.equal((await a.join(roomId, alice.feedId, alice.joinToken)).ok, true);
      const ids = async (): Promise<unknown[]> => {
        const answer = await b.videoroom({ request: 'listparticipants', room: roomId });
        assert.ok(answer.ok, JSON.stringify(answer));
        return (answer.data.participants as { id: unknown }[]).map((p) => p.id);
      };
      assert.deepEqual(await ids(), [alice.feedId]);
      await control.revoke(roomId, 'alice', { joinTokens: [alice.joinToken], feedIds: [alice.feedId] });
      assert.deepEqual(await ids(), []);
    } finally {
      a.close();
      b.close();
    }
  });

  test('a participant who joined under an id it was not given is removed when revoked', async () => {
    const { roomId } = await control.createRoom({ maxParticipants: 4 });
    const alice = await control.admit(roomId, 'alice');
    const bob = await control.admit(roomId, 'bob');
    const a = await JanusParticipant.connect(janus.url, alice.token);
    const b = await JanusParticipant.connect(janus.url, bob.token);
    try {
      await a.attach();
      await b.attach();
      const madeUp = alice.feedId + 1;
      assert.equal((await a.join(roomId, madeUp, alice.joinToken)).ok, true);
      assert.equal((await b.join(roomId, bob.feedId, bob.joinToken)).ok, true);
      const ids = async (): Promise<unknown[]> => {
        const answer = await b.videoroom({ request: 'listparticipants', room: roomId });
        assert.ok(answer.ok, JSON.stringify(answer));
        return (answer.data.participants as { id: unknown }[]).map((p) => p.id).sort();
      };
      assert.deepEqual(await ids(), [madeUp, bob.feedId].sort());
      await control.revoke(roomId, 'alice', { joinTokens: [alice.joinToken], feedIds: [alice.feedId], keepFeeds: new Set([bob.feedId]) });
      assert.deepEqual(await ids(), [bob.feedId], 'the impostor id is gone, the admitted participant stays');
    } finally {
      a.close();
      b.close();
    }
  });

  test('an admission names the plugin: a participant cannot attach to any other', async () => {
    const { roomId } = await control.createRoom({ maxParticipants: 2 });
    const admission = await control.admit(roomId, 'alice');
    const participant = await JanusParticipant.connect(janus.url, admission.token);
    try {
      const attached = await participant.attachTo('janus.plugin.echotest');
      assert.equal(attached.ok, false);
    } finally {
      participant.close();
    }
  });

  test('rooms are created private, end-to-end encrypted, bounded and with the allowed codecs only', async () => {
    const video = await control.describeRoom((await control.createRoom({ maxParticipants: 3 })).roomId);
    assert.deepEqual(
      { maxPublishers: video.maxPublishers, requireE2ee: video.requireE2ee, audioCodecs: video.audioCodecs, videoCodecs: video.videoCodecs, pinRequired: video.pinRequired },
      { maxPublishers: 3, requireE2ee: true, audioCodecs: 'opus', videoCodecs: 'vp8', pinRequired: false },
    );
    const audio = await control.describeRoom((await control.createRoom({ maxParticipants: 8, audioOnly: true })).roomId);
    assert.equal(audio.maxPublishers, 8);
    assert.ok(audio.bitrate <= 64_000, `audio-only rooms cap the bitrate, got ${audio.bitrate}`);
  });

  test('a wrong shared secret is a misconfiguration named as such', async () => {
    const wrong = new JanusSfu({ url: janus.url, secret: 'not-the-secret-at-all', logger, ...FAST });
    try {
      await assert.rejects(wrong.start(), (error: unknown) => error instanceof SfuError && error.problem === 'misconfigured' && /api_secret/.test(error.message));
      const health = await wrong.health();
      assert.equal(health.up, false);
      assert.match(health.detail, /sfu-secret-file does not match api_secret/);
    } finally {
      await wrong.close();
    }
  });

  test('nothing listening at the URL is unavailable, not a crash', async () => {
    const nowhere = new JanusSfu({ url: 'ws://127.0.0.1:9', secret: janus.secret, logger, ...FAST });
    try {
      await assert.rejects(nowhere.start(), (error: unknown) => error instanceof SfuError && error.problem === 'unavailable' && /unreachable/.test(error.message));
    } finally {
      await nowhere.close();
    }
  });

  test('bad controller settings are refused at construction', () => {
    assert.throws(() => new JanusSfu({ url: 'http://127.0.0.1:8188', secret: janus.secret, logger }), /ws:\/\/ or wss:\/\/ URL/);
    assert.throws(() => new JanusSfu({ url: janus.url, secret: 'short', logger }), /at least 16 characters/);
  });

  test('a closed controller refuses work clearly', async () => {
    const closing = new JanusSfu({ url: janus.url, secret: janus.secret, logger, ...FAST });
    await closing.start();
    await closing.close();
    await assert.rejects(closing.createRoom({ maxParticipants: 2 }), (error: unknown) => error instanceof SfuError && error.problem === 'unavailable' && /closed/.test(error.message));
    assert.equal((await closing.health()).up, false);
  });
});
