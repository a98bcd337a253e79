import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRemoteCandidate } from '../calls/candidate-filter.js';
import { parseIp } from '../calls/ip-address.js';
import { departedFeeds, publisherFeeds, requireVideoRoom, sfuCandidatePolicy } from './sfu-room.js';

test("a room's events: publishers' feeds without this device's own, at most the bound read; departures; a refusal in the SFU's words", () => {
  assert.deepEqual(publisherFeeds([{ id: 5 }, { id: 7 }, { id: 'x' }, null, 9, { id: 8 }], 7, 10).map((p) => p.feed), [5, 8]);
  assert.deepEqual(publisherFeeds([{ id: 1 }, { id: 2 }, { id: 3 }], 0, 2).map((p) => p.feed), [1, 2]);
  assert.deepEqual(publisherFeeds({ id: 1 }, 0, 10), []);
  assert.deepEqual(departedFeeds({ leaving: 4, unpublished: 'ok' }), [4]);
  assert.deepEqual(departedFeeds({ unpublished: 6 }), [6]);
  assert.throws(() => requireVideoRoom({ ok: false, code: 433, reason: 'Unauthorized' }, 'publish'), /would not let this device publish: 433 Unauthorized/);
});

test("a publisher's audio stream is found for members who want no video; hostile stream lists name none", () => {
  const streams = [{ type: 'video', mid: '1' }, { type: 'audio', mid: '0' }];
  assert.deepEqual(publisherFeeds([{ id: 5, streams }], 0, 10), [{ feed: 5, audioMid: '0' }]);
  assert.deepEqual(publisherFeeds([{ id: 5 }], 0, 10), [{ feed: 5, audioMid: undefined }]);
  for (const hostile of ['0', [{ type: 'audio', mid: 7 }], [{ type: 'audio', mid: 'x'.repeat(17) }], [{ type: 'audio', mid: '0\r\nm=video' }], [null, 1, 'a'], [...Array(4).fill({ type: 'video', mid: '1' }), { type: 'audio', mid: '0' }]]) {
    assert.deepEqual(publisherFeeds([{ id: 5, streams: hostile }], 0, 10), [{ feed: 5, audioMid: undefined }], JSON.stringify(hostile));
  }
});

test("the SFU's candidates, one rule for the browser and the CLI: a private address only in this device's own networks, none relay-only", () => {
  const home = [parseIp('192.168.1.20')!];
  const sfuAt = (ip: string) => `candidate:1 1 udp 2015363327 ${ip} 20000 typ host`;
  const open = sfuCandidatePolicy({ allowLoopback: false, relayOnly: false }, home);
  assert.equal(checkRemoteCandidate(sfuAt('203.0.113.9'), open, 0).ok, true, 'a public SFU');
  assert.equal(checkRemoteCandidate(sfuAt('192.168.1.5'), open, 0).ok, true, 'an SFU on the member\'s LAN');
  assert.equal(checkRemoteCandidate(sfuAt('10.0.0.5'), open, 0).ok, false, 'another private network');
  assert.equal(checkRemoteCandidate(sfuAt('127.0.0.1'), open, 0).ok, false, 'loopback');
  const relayOnly = sfuCandidatePolicy({ allowLoopback: false, relayOnly: true }, home);
  assert.equal(checkRemoteCandidate(sfuAt('192.168.1.5'), relayOnly, 0).ok, false, 'relay-only: no private address');
  assert.equal(checkRemoteCandidate(sfuAt('127.0.0.1'), sfuCandidatePolicy({ allowLoopback: true, relayOnly: false }, []), 0).ok, true, 'loopback where a test allows it');
});
