import { test } from 'node:test';
import assert from 'node:assert/strict';
import { departedFeeds, publisherFeeds, requireVideoRoom } from './sfu-room.js';

test("a room's events: publishers' feeds without this device's own, at most the bound read; departures; a refusal in the SFU's words", () => {
  assert.deepEqual(publisherFeeds([{ id: 5 }, { id: 7 }, { id: 'x' }, null, 9, { id: 8 }], 7, 10), [5, 8]);
  assert.deepEqual(publisherFeeds([{ id: 1 }, { id: 2 }, { id: 3 }], 0, 2), [1, 2]);
  assert.deepEqual(publisherFeeds({ id: 1 }, 0, 10), []);
  assert.deepEqual(departedFeeds({ leaving: 4, unpublished: 'ok' }), [4]);
  assert.deepEqual(departedFeeds({ unpublished: 6 }), [6]);
  assert.throws(() => requireVideoRoom({ ok: false, code: 433, reason: 'Unauthorized' }, 'publish'), /would not let this device publish: 433 Unauthorized/);
});
