/** @module attachments/ogg-opus.test: the voice-note container, page by page, and as the receiver's sniffing sees it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AttachmentKind } from '@sotto/protocol';
import { oggCrc, oggOpusFile } from './ogg-opus.js';
import { classify } from './sniff.js';

const OPTIONS = { channels: 1, inputSampleRate: 48_000, preSkip: 312, packetSamples: 960, serial: 0x1234_5678 } as const;

interface Page { flags: number; granule: bigint; serial: number; sequence: number; packets: Uint8Array[]; crcOk: boolean }

/** A reader for this test only: it splits the writer's output back into pages and packets. */
function pagesOf(file: Uint8Array): Page[] {
  const pages: Page[] = [];
  let at = 0;
  while (at < file.byteLength) {
    const view = new DataView(file.buffer, file.byteOffset + at);
    assert.equal(new TextDecoder().decode(file.subarray(at, at + 4)), 'OggS');
    const count = file[at + 26]!;
    const laces = [...file.subarray(at + 27, at + 27 + count)];
    const length = 27 + count + laces.reduce((a, b) => a + b, 0);
    const raw = file.slice(at, at + length);
    const stored = new DataView(raw.buffer).getUint32(22, true);
    raw.fill(0, 22, 26);
    const packets: Uint8Array[] = [];
    let body = at + 27 + count;
    let size = 0;
    for (const lace of laces) {
      size += lace;
      if (lace < 255) {
        packets.push(file.slice(body, body + size));
        body += size;
        size = 0;
      }
    }
    pages.push({ flags: file[at + 5]!, granule: view.getBigInt64(6, true), serial: view.getUint32(14, true), sequence: view.getUint32(18, true), packets, crcOk: oggCrc(raw) === stored });
    at += length;
  }
  return pages;
}

test("Ogg's CRC-32 gives the catalogued check value", () => {
  // Polynomial 0x04c11db7, init 0, no reflection, no final xor: CRC-32/CKSUM (check 0x765e7680)
  // without its final xor, so the check value over "123456789" is 0x765e7680 inverted.
  assert.equal(oggCrc(new TextEncoder().encode('123456789')), ~0x765e7680 >>> 0);
});

test('a voice note: OpusHead, OpusTags, then audio pages with granules, flags, sequence and CRCs right', () => {
  const packets = Array.from({ length: 300 }, (_, i) => new Uint8Array(40 + (i % 300)).fill(i % 256));
  const pages = pagesOf(oggOpusFile(packets, OPTIONS));
  assert.ok(pages.length > 3);
  assert.ok(pages.every((p) => p.crcOk && p.serial === OPTIONS.serial));
  assert.deepEqual(pages.map((p) => p.sequence), pages.map((_, i) => i));
  assert.equal(pages[0]!.flags, 0x02, 'beginning of stream');
  assert.equal(new TextDecoder().decode(pages[0]!.packets[0]!.subarray(0, 8)), 'OpusHead');
  assert.equal(new TextDecoder().decode(pages[1]!.packets[0]!.subarray(0, 8)), 'OpusTags');
  assert.equal(pages.at(-1)!.flags, 0x04, 'end of stream');
  assert.equal(pages.at(-1)!.granule, BigInt(OPTIONS.preSkip + 300 * 960));
  const audio = pages.slice(2).flatMap((p) => p.packets);
  assert.deepEqual(audio, packets, 'every packet back, whole and in order (those over 255 bytes laced)');
  let samples = OPTIONS.preSkip;
  for (const p of pages.slice(2)) {
    samples += p.packets.length * 960;
    assert.equal(p.granule, BigInt(samples), 'a page ends at its last packet');
  }
});

test('what the writer makes is a voice note to the receiver\'s sniffing', async () => {
  const file = oggOpusFile([new Uint8Array([0xf8, 0xff, 0xfe])], OPTIONS);
  const seen = await classify(file, { mediaType: 'audio/ogg', kind: AttachmentKind.VOICE_NOTE, fileName: 'voice-note.ogg' });
  assert.equal(seen.display, 'voice-note');
  assert.throws(() => oggOpusFile([], OPTIONS), /at least one Opus packet/);
});
