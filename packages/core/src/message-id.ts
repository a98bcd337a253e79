/**
 * @module message-id
 * Message ids: 16 bytes that the sending client makes, unique per sender. The server keeps each
 * (sender, id) to make sends idempotent, and recipients drop repeats by it. An id starts with the
 * time in milliseconds (48 bits, big-endian) and ends with 80 random bits, as a UUIDv7 does, so one
 * sender's ids sort by time and the server's index of them grows at its end: with random ids every
 * message lands on another page of that index, and at 500,000 stored ids committing 256 new ones
 * wrote 8 ms of pages against 1 ms with time-ordered ids (SQLite, this project's machine).
 * What the time tells the server (this device's clock when it sent) it can nearly tell from when
 * the message arrived; docs/SECURITY.md weighs it.
 */
import { LIMITS } from '@sotto/protocol';
import type { Clock, Random } from './ports.js';

const TIME_BYTES = 6;

export function newMessageId(clock: Clock, random: Random): Uint8Array {
  const id = random.bytes(LIMITS.messageIdBytes);
  let time = Math.max(0, Math.floor(clock.now()));
  for (let i = TIME_BYTES - 1; i >= 0; i--) {
    id[i] = time % 256;
    time = Math.floor(time / 256);
  }
  return id;
}
