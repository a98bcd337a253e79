/**
 * Scenario: files from the real `sotto` CLI against a real server (issue 18). Alice sends a PDF
 * with a caption to Bob and a photo to a group; `sync --json` describes each file (name, type,
 * size, how it may be shown) and never prints its key or digest; `sotto save` writes exactly the
 * bytes that were sent; asking for a message that is not there, or for a text, is a clear error;
 * and nothing is fetched before `save` (the server's log shows no download until then).
 *
 * @paired It may run beside one other @paired scenario (scripts/run-tests.mjs): it times no media
 *   and restarts no shared service.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Member } from '../support/cli.js';
import { scratchDir } from '../support/paths.js';
import { ServerProcess } from '../support/server-process.js';
import { pdfFile, pngFile } from '../support/sample-files.js';

const dir = scratchDir('cli-files');
let server: ServerProcess;
const alice = new Member('alice', dir.path);
const bob = new Member('bob', dir.path);
const carol = new Member('carol', dir.path);
/** The message records of a `--json` run, whole (with their `attachment` description). */
const fileMessages = (records: Record<string, unknown>[]) => records.filter((r) => r.type === 'message') as unknown as FileMessage[];
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

before(async () => {
  server = await ServerProcess.start(join(dir.path, 'server'));
  for (const m of [alice, bob, carol]) await m.ok(['register', m.name, '--server', server.url]);
  for (const other of [bob, carol]) {
    await alice.ok(['contacts', 'request', other.name, 'hi']);
    await other.ok(['contacts', 'accept', 'alice']);
  }
  await alice.ok(['sync']);
});

after(async () => {
  await server?.stop();
  dir.remove();
});

interface FileMessage {
  messageId: string;
  body: string;
  attachment?: { fileName: string; mediaType: string; display: string; size: number; key?: unknown; digest?: unknown };
}

test('send --file to a contact: sync describes the file without its key, and save writes the same bytes', async () => {
  const pdf = pdfFile('CLI-PDF-MARKER');
  const path = join(dir.path, 'Filing 2026.pdf');
  writeFileSync(path, pdf);
  const sent = await alice.ok(['send', 'bob', '--file', path, 'the', 'filing']);
  assert.equal(sent.find((r) => r.type === 'sent')?.bytes, pdf.byteLength);

  const synced = fileMessages(await bob.ok(['sync']));
  const message = synced.find((m) => m.body === 'the filing');
  assert.ok(message?.attachment, JSON.stringify(synced));
  assert.deepEqual(
    { fileName: message.attachment.fileName, mediaType: message.attachment.mediaType, display: message.attachment.display, size: message.attachment.size },
    { fileName: 'Filing 2026.pdf', mediaType: 'application/pdf', display: 'file', size: pdf.byteLength },
  );
  assert.equal(message.attachment.key, undefined, 'no key printed');
  assert.equal(message.attachment.digest, undefined);
  assert.ok(!server.logs.includes('GET /v1/blobs'), 'nothing fetched before save');

  const target = join(dir.path, 'bob-downloads');
  mkdirSync(target);
  const saved = await bob.ok(['save', message.messageId.slice(0, 12), target]);
  const record = saved.find((r) => r.type === 'saved');
  assert.equal(record?.path, join(target, 'Filing 2026.pdf'));
  assert.equal(sha(readFileSync(join(target, 'Filing 2026.pdf'))), sha(pdf));
  // Saving again keeps both: never over an existing file.
  await bob.ok(['save', message.messageId, target]);
  assert.deepEqual(readdirSync(target).sort(), ['Filing 2026 (2).pdf', 'Filing 2026.pdf']);
});

test('group send --file: a photo is re-encoded by the sender (its metadata gone), each member saves it as a photo', async () => {
  await alice.ok(['group', 'create', 'team', 'bob', 'carol']);
  await bob.ok(['sync']);
  await carol.ok(['sync']);
  const png = pngFile(640, 480, 'CLI-PNG-METADATA-MARKER');
  const path = join(dir.path, 'whiteboard.png');
  writeFileSync(path, png);
  const sent = await alice.ok(['group', 'send', 'team', '--file', path]);
  assert.ok(sent.some((r) => r.type === 'file-note' && r.reencoded === true), 'the member is told');
  for (const member of [bob, carol]) {
    const message = fileMessages(await member.ok(['sync'])).find((m) => m.attachment?.fileName === 'whiteboard.jpg');
    assert.equal(message?.attachment?.display, 'image', JSON.stringify(message));
    assert.equal(message?.attachment?.mediaType, 'image/jpeg');
    const target = join(dir.path, `${member.name}-photos`);
    mkdirSync(target);
    await member.ok(['save', message!.messageId, target]);
    const saved = readFileSync(join(target, 'whiteboard.jpg'));
    assert.deepEqual([...saved.subarray(0, 3)], [0xff, 0xd8, 0xff], 'a JPEG');
    assert.ok(!saved.includes('CLI-PNG-METADATA-MARKER'), 'the metadata did not travel');
    assert.ok(!saved.includes('Exif'), 'no EXIF block');
  }
  // --as-file: the original bytes, as a plain file.
  await alice.ok(['group', 'send', 'team', '--file', path, '--as-file', 'original']);
  const original = fileMessages(await bob.ok(['sync'])).find((m) => m.body === 'original');
  assert.equal(original?.attachment?.display, 'file');
  const target = join(dir.path, 'bob-original');
  mkdirSync(target);
  await bob.ok(['save', original!.messageId, target]);
  assert.equal(sha(readFileSync(join(target, 'whiteboard.png'))), sha(png));
});

test('send --voice: a WAV goes as an Ogg Opus voice note with its duration and waveform, and saves as one', async () => {
  const { sineWave, writeWav } = await import('@sotto/client-node/calls');
  const wav = join(dir.path, 'memo.wav');
  await writeWav(wav, sineWave(440, 3.2, 48_000));
  const sent = await alice.ok(['send', 'bob', '--voice', wav]);
  assert.ok(Number(sent.find((r) => r.type === 'sent')?.durationMs) >= 3100);
  const message = fileMessages(await bob.ok(['sync'])).find((m) => m.attachment?.fileName === 'memo.ogg');
  assert.equal(message?.attachment?.display, 'voice-note', JSON.stringify(message));
  assert.equal(message?.attachment?.mediaType, 'audio/ogg');
  const target = join(dir.path, 'bob-voice');
  mkdirSync(target);
  const saved = (await bob.ok(['save', message!.messageId, target])).find((r) => r.type === 'saved');
  assert.equal(saved?.display, 'voice-note');
  const bytes = readFileSync(join(target, 'memo.ogg'));
  assert.equal(bytes.subarray(0, 4).toString('latin1'), 'OggS');
  assert.equal(bytes.subarray(28, 36).toString('latin1'), 'OpusHead');
  const notWav = join(dir.path, 'not.wav');
  writeFileSync(notWav, 'RIFF but not really');
  const refused = await alice.run(['send', 'bob', '--voice', notWav]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /not a readable WAV file/);
});

test('bad input: a file that is not there, an id that names nothing, a text that carries no file', async () => {
  const missing = await alice.run(['send', 'bob', '--file', join(dir.path, 'nope.pdf')]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /not a file this CLI can read/);
  const unknown = await bob.run(['save', 'deadbeefdeadbeef']);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /No message here has the id deadbeefdeadbeef/);
  await alice.ok(['send', 'bob', 'just words']);
  const text = (fileMessages(await bob.ok(['sync']))).find((m) => m.body === 'just words');
  const noFile = await bob.run(['save', text!.messageId]);
  assert.notEqual(noFile.code, 0);
  assert.match(noFile.stderr, /carries no file/);
  const badId = await bob.run(['save', 'xyz']);
  assert.match(badId.stderr, /8 to 32 hexadecimal digits/);
});
