/**
 * Scenario: files end to end, SDK clients against a real `sotto serve` process (issue 18). A PDF,
 * a photo and a plain file go 1:1 and to a group; what each receiver saves equals what was sent
 * (SHA-256), and the server's data directory and logs never hold the plaintext (a marker inside
 * each file). Hostile cases: a PDF named `.jpg`, a blob swapped on the server, an unknown blob id,
 * a file over the server's cap, an account over its quota: each a clear error or a plain file,
 * nothing half-saved, and the conversation goes on. And kill -9 in the middle of an upload: what
 * the server acknowledged is still there after the restart, and the upload finishes from it.
 *
 * @paired It may run beside one other @paired scenario (scripts/run-tests.mjs): it times no media
 *   and restarts no shared service.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppContentSchema, CreateUploadSchema, FrameType, create, type Attachment } from '@sotto/protocol';
import {
  ClientError, RemoteError, attachmentOf, buildAttachment, describeAttachment, type FileSink, type FileSource, type SottoClient,
} from '@sotto/core';
import { directorySink, fileSource, openNodeClient, registerNodeClient } from '@sotto/client-node';
import { scratchDir } from '../support/paths.js';
import { ServerProcess } from '../support/server-process.js';
import { internalsOf } from '../support/engine-internals.js';
import { makeContacts, untilJoined } from '../support/member-steps.js';
import { until } from '../support/in-memory-members.js';
import { pdfFile, plainFile, pngFile } from '../support/sample-files.js';

const dir = scratchDir('attachments');
let server: ServerProcess;
const members = new Map<string, SottoClient>();
let direct = '';
let group = '';

async function member(name: string, at: ServerProcess = server, root = dir.path): Promise<SottoClient> {
  const options = { profileDir: join(root, name), logLevel: 'silent' as const, reconnect: true };
  const registered = await registerNodeClient(options, at.url, name);
  await registered.close();
  const client = await openNodeClient(options);
  await client.connect();
  await client.sync();
  return client;
}

const m = (name: string) => members.get(name)!;
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function memorySource(name: string, bytes: Uint8Array): FileSource {
  return {
    name,
    size: bytes.byteLength,
    async *read() {
      for (let at = 0; at < bytes.byteLength; at += 100_000) yield bytes.subarray(at, at + 100_000);
    },
  };
}

/** A sink in memory that says what happened to it. */
function memorySink(): FileSink & { bytes(): Uint8Array; state: 'open' | 'kept' | 'aborted'; name?: string } {
  const parts: Uint8Array[] = [];
  const sink = {
    state: 'open' as 'open' | 'kept' | 'aborted',
    name: undefined as string | undefined,
    async write(chunk: Uint8Array) {
      parts.push(chunk.slice());
    },
    async commit(fileName: string) {
      sink.state = 'kept';
      sink.name = fileName;
    },
    async abort() {
      sink.state = 'aborted';
      parts.length = 0;
    },
    bytes: () => Buffer.concat(parts),
  };
  return sink;
}

/** The newest message of `groupId` at `client` that carries a file, once it arrived. */
async function receivedFile(client: SottoClient, groupId: string, caption: string) {
  let found: Awaited<ReturnType<SottoClient['listMessages']>>[number] | undefined;
  await until(`a file captioned "${caption}"`, async () => {
    found = (await client.listMessages(groupId)).find((message) => message.attachment !== undefined && message.body === caption);
    return found !== undefined;
  }, 20_000);
  return found!;
}

/** Every file under `root`, read whole: the server's data directory. */
function everyFile(root: string): Buffer[] {
  const out: Buffer[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const path = join(root, entry.name);
    if (entry.isDirectory()) out.push(...everyFile(path));
    else if (entry.isFile()) out.push(readFileSync(path));
  }
  return out;
}

const MARKERS = { pdf: `PDF-MARKER-${randomBytes(6).toString('hex')}`, png: `PNG-MARKER-${randomBytes(6).toString('hex')}`, plain: `PLAIN-MARKER-${randomBytes(6).toString('hex')}` };

before(async () => {
  server = await ServerProcess.start(join(dir.path, 'server'));
  for (const name of ['alice', 'bob', 'carol']) members.set(name, await member(name));
  await makeContacts(m('alice'), m('bob'));
  await makeContacts(m('alice'), m('carol'));
  direct = await m('alice').openDirect('bob');
  await untilJoined(m('bob'), direct);
  group = (await m('alice').createGroup('filing', ['bob', 'carol'])).groupId;
  await untilJoined(m('bob'), group);
  await untilJoined(m('carol'), group);
});

after(async () => {
  for (const client of members.values()) await client.close();
  await server?.stop();
  dir.remove();
});

test('a PDF goes 1:1: the receiver sees a file to save, and what it saves is what was sent', async () => {
  const pdf = pdfFile(MARKERS.pdf);
  const sent = await m('alice').attachments.send(direct, memorySource('court filing.pdf', pdf), { caption: 'the filing' });
  assert.equal(sent.message.status, 'sent');
  const message = await receivedFile(m('bob'), direct, 'the filing');
  const shown = describeAttachment(message)!;
  assert.equal(shown.display, 'file', 'a PDF is never rendered');
  assert.equal(shown.mediaType, 'application/pdf');
  assert.equal(shown.fileName, 'court filing.pdf');
  assert.equal(shown.size, pdf.byteLength);
  const sink = memorySink();
  const saved = await m('bob').attachments.save(message.messageId, sink);
  assert.equal(sink.state, 'kept');
  assert.equal(sha(sink.bytes()), sha(pdf), 'the same bytes');
  assert.equal(saved.classification.display, 'file');
  assert.equal(saved.fileName, 'court filing.pdf');
});

test('a photo goes to a group: every member saves it as an image, to disk, byte for byte', async () => {
  const png = pngFile(64, 48, MARKERS.png);
  await m('alice').attachments.send(group, memorySource('beach.png', png), { caption: 'group photo', width: 64, height: 48 });
  for (const name of ['bob', 'carol']) {
    const message = await receivedFile(m(name), group, 'group photo');
    assert.equal(describeAttachment(message)!.display, 'image');
    const target = join(dir.path, `saved-${name}`);
    mkdirSync(target, { recursive: true });
    const sink = directorySink(target);
    const saved = await m(name).attachments.save(message.messageId, sink);
    assert.equal(saved.classification.display, 'image');
    assert.deepEqual(readdirSync(target), ['beach.png'], 'one file, no partial left');
    assert.equal(sha(readFileSync(join(target, 'beach.png'))), sha(png));
  }
});

test('a file read from disk goes through the same way, and the server never holds the plaintext', async () => {
  const path = join(dir.path, 'notes.bin');
  const plain = plainFile(9 * 1024 * 1024 + 17, MARKERS.plain); // three upload chunks
  writeFileSync(path, plain);
  await m('bob').attachments.send(direct, await fileSource(path), { caption: 'big notes' });
  const message = await receivedFile(m('alice'), direct, 'big notes');
  const sink = memorySink();
  const saved = await m('alice').attachments.save(message.messageId, sink);
  assert.equal(sha(sink.bytes()), sha(plain));
  assert.equal(saved.classification.display, 'file');

  const stored = everyFile(join(dir.path, 'server'));
  assert.ok(stored.length > 0);
  for (const marker of Object.values(MARKERS)) {
    assert.ok(!stored.some((file) => file.includes(marker)), `${marker} is nowhere in the server's data directory`);
    assert.ok(!server.logs.includes(marker), `${marker} is nowhere in the server's logs`);
  }
  for (const name of ['court filing', 'beach.png', 'notes.bin']) assert.ok(!server.logs.includes(name), `the file name ${name} is not logged`);
});

test('a PDF named .jpg is sniffed as a PDF by the sender and the receiver: a plain file, its name made honest', async () => {
  const sent = await m('alice').attachments.send(direct, memorySource('holiday.jpg', pdfFile('disguised')), { caption: 'disguised' });
  assert.deepEqual(sent.nameWarnings, ['The name ended in .jpg but the file is a PDF, so .pdf was added.'], 'the sender is told');
  const message = await receivedFile(m('bob'), direct, 'disguised');
  const shown = describeAttachment(message)!;
  assert.equal(shown.display, 'file');
  assert.equal(shown.mediaType, 'application/pdf');
  assert.match(shown.fileName, /\.pdf$/, shown.fileName);
  const saved = await m('bob').attachments.save(message.messageId, memorySink());
  assert.equal(saved.classification.display, 'file');
  assert.equal(saved.fileName, 'holiday.jpg.pdf', 'saved under a name that says what it is');
});

/** The blob's file in the server's data directory (the files backend). */
function blobPath(attachment: Attachment): string {
  const hex = Buffer.from(attachment.blobId).toString('hex');
  const root = join(dir.path, 'server', 'blobs');
  const matches: string[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.includes(hex)) matches.push(path);
    }
  };
  walk(root);
  assert.equal(matches.length, 1, `one file for blob ${hex.slice(0, 8)}`);
  return matches[0]!;
}

test('a blob swapped on the server is refused: nothing of it is kept, and the chat goes on', async () => {
  await m('alice').attachments.send(direct, memorySource('contract.pdf', pdfFile('original')), { caption: 'to be swapped' });
  const message = await receivedFile(m('bob'), direct, 'to be swapped');
  const path = blobPath(attachmentOf(message)!);
  const bytes = readFileSync(path);
  bytes[bytes.length - 40]! ^= 0x01;
  writeFileSync(path, bytes);
  const sink = memorySink();
  await assert.rejects(m('bob').attachments.save(message.messageId, sink), (error: unknown) => error instanceof ClientError && error.code === 'FILE_TAMPERED');
  assert.equal(sink.state, 'aborted');
  assert.equal(sink.bytes().byteLength, 0);
  // A whole other blob in its place (same length): refused the same way.
  writeFileSync(path, randomBytes(statSync(path).size));
  await assert.rejects(m('bob').attachments.save(message.messageId, memorySink()), (error: unknown) => error instanceof ClientError && error.code === 'FILE_TAMPERED');
  await m('alice').sendText(direct, 'still talking');
  await until('the next text', async () => (await m('bob').listMessages(direct)).some((x) => x.body === 'still talking'));
});

test('a file whose blob id the server does not know is FILE_UNAVAILABLE, with nothing kept', async () => {
  const conversation = await internalsOf(m('alice')).ensureDirect('bob');
  const { attachment } = buildAttachment({
    blobId: randomBytes(16), key: randomBytes(32), digest: randomBytes(32), size: 1234, mediaType: 'application/pdf', fileName: 'ghost.pdf', caption: 'ghost',
  });
  const content = create(AppContentSchema, { messageId: randomBytes(16), sentAt: BigInt(Date.now()), body: { case: 'attachment', value: attachment } });
  await (internalsOf(m('alice')) as unknown as { send(c: { groupId: string }, content: unknown): Promise<void> }).send(conversation, content);
  const message = await receivedFile(m('bob'), direct, 'ghost');
  const sink = memorySink();
  await assert.rejects(m('bob').attachments.save(message.messageId, sink), (error: unknown) => error instanceof ClientError && error.code === 'FILE_UNAVAILABLE');
  assert.equal(sink.state, 'aborted');
});

test('over the server cap and over the quota: refused before a byte moves, with the server\'s words', async () => {
  const small = await ServerProcess.start(join(dir.path, 'small-server'), ['--max-file-mb', '1', '--file-quota-mb', '2']);
  const root = join(dir.path, 'small');
  try {
    const [dora, eli] = [await member('dora', small, root), await member('eli', small, root)];
    await makeContacts(dora, eli);
    const chat = await dora.openDirect('eli');
    await untilJoined(eli, chat);
    await assert.rejects(dora.attachments.send(chat, memorySource('big.bin', plainFile(1024 * 1024 + 1, 'big'))),
      (error: unknown) => error instanceof RemoteError && error.wireName === 'FILE_TOO_LARGE' && /at most 1 MiB/.test(error.message));
    await dora.attachments.send(chat, memorySource('a.bin', plainFile(900 * 1024, 'a')));
    await dora.attachments.send(chat, memorySource('b.bin', plainFile(900 * 1024, 'b')));
    await assert.rejects(dora.attachments.send(chat, memorySource('c.bin', plainFile(900 * 1024, 'c'))),
      (error: unknown) => error instanceof RemoteError && error.wireName === 'QUOTA_EXCEEDED');
    await dora.sendText(chat, 'files were refused, text was not');
    await until('the text after the refusals', async () => (await eli.listMessages(chat)).some((x) => x.body === 'files were refused, text was not'));
    await dora.close();
    await eli.close();
  } finally {
    await small.stop();
  }
});

test('kill -9 in the middle of an upload: what the server acknowledged survives the restart, and the upload finishes from there', async () => {
  const size = 12 * 1024 * 1024;
  const ticket = await internalsRequest(m('alice'), size);
  const url = `${server.url}/v1/blobs/${Buffer.from(ticket.blobId).toString('hex')}`;
  const headers = { 'Tus-Resumable': '1.0.0', Authorization: `Bearer ${ticket.token}` };
  const body = randomBytes(size);
  const first = await fetch(url, { method: 'PATCH', headers: { ...headers, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' }, body: body.subarray(0, 4 * 1024 * 1024) });
  assert.equal(first.status, 204);
  assert.equal(first.headers.get('upload-offset'), String(4 * 1024 * 1024));
  await server.kill9();
  await server.spawn();
  const head = await fetch(url, { method: 'HEAD', headers });
  assert.equal(head.headers.get('upload-offset'), String(4 * 1024 * 1024), 'the acknowledged 4 MiB are still there');
  const rest = await fetch(url, { method: 'PATCH', headers: { ...headers, 'Upload-Offset': String(4 * 1024 * 1024), 'Content-Type': 'application/offset+octet-stream' }, body: body.subarray(4 * 1024 * 1024) });
  assert.equal(rest.status, 204);
  const download = Buffer.from(await (await fetch(url)).arrayBuffer());
  assert.equal(sha(download), sha(body));
  await until('alice back online', async () => (await m('alice').sync().then(() => true, () => false)));
});

async function internalsRequest(client: SottoClient, size: number): Promise<{ blobId: Uint8Array; token: string }> {
  const session = (client as unknown as { session: { request(type: FrameType, body: unknown): Promise<{ case: string; value: { blobId: Uint8Array; token: string } }> } }).session;
  const answer = await session.request(FrameType.CREATE_UPLOAD, create(CreateUploadSchema, { size: BigInt(size) }));
  assert.equal(answer.case, 'upload');
  return answer.value;
}
