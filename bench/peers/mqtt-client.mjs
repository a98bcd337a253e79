// A minimal MQTT 3.1.1 client on node:net for load generation, with the same shape as XmppClient
// so the workloads are written once. A device's inbox is the topic u/<user>, a group is g/<room>;
// everything is QoS 1, so the broker acknowledges each publish (PUBACK) and each subscriber
// acknowledges each delivery.
//
// Why hand-written rather than mqtt.js: with mqtt.js the generator, not Mosquitto, was the
// bottleneck (a connect storm saturated the generator's core at about 1,900 connects/s, and the
// throughput ramp fell behind its own schedule near 24,000 msg/s while Mosquitto used half a core).
// mqtt.js builds packet objects, streams and stores per connection and per message. The seven
// packet types used here (CONNECT, CONNACK, SUBSCRIBE, SUBACK, PUBLISH, PUBACK, DISCONNECT) are
// short, fixed layouts, encoded and read straight from buffers.
import { connect } from 'node:net';
import { PAYLOAD_BYTES, payloadFor, seqAt } from './common.mjs';

const CONNECT = 0x10;
const CONNACK = 0x20;
const PUBLISH = 0x30;
const PUBACK = 0x40;
const SUBSCRIBE = 0x82; // type 8 with the required flags 0010
const SUBACK = 0x90;
const DISCONNECT = Buffer.from([0xe0, 0x00]);
const QOS1 = 0x02;
const GROUP_TOPIC_PREFIX = 0x67; // 'g'

/** MQTT's variable-length "remaining length" (7 bits a byte, high bit = more). */
function encodeLength(length) {
  const bytes = [];
  do {
    let byte = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) byte |= 0x80;
    bytes.push(byte);
  } while (length > 0);
  return Buffer.from(bytes);
}

function utf8Field(text) {
  const bytes = Buffer.from(text);
  const field = Buffer.allocUnsafe(2 + bytes.length);
  field.writeUInt16BE(bytes.length, 0);
  bytes.copy(field, 2);
  return field;
}

function packet(firstByte, ...parts) {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([firstByte]), encodeLength(body.length), body]);
}

function connectPacket({ clientId, username, password, clean }) {
  const flags = 0x80 | 0x40 | (clean ? 0x02 : 0); // username, password, clean session
  const keepAlive = Buffer.from([0, 0]); // no pings: idle connections stay idle, as the XMPP ones do
  return packet(CONNECT, utf8Field('MQTT'), Buffer.from([4, flags]), keepAlive, utf8Field(clientId), utf8Field(username), utf8Field(password));
}

/**
 * Splits the byte stream into packets: calls onPacket(firstByte, buffer, bodyStart, bodyEnd) for
 * each complete one and keeps the incomplete tail for the next chunk.
 */
class PacketReader {
  constructor(onPacket) {
    this.onPacket = onPacket;
    this.tail = null;
  }

  push(chunk) {
    const data = this.tail ? Buffer.concat([this.tail, chunk]) : chunk;
    let offset = 0;
    while (offset + 2 <= data.length) {
      let length = 0;
      let multiplier = 1;
      let cursor = offset + 1;
      let complete = false;
      while (cursor < data.length && cursor < offset + 5) {
        const byte = data[cursor++];
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete || cursor + length > data.length) break;
      this.onPacket(data[offset], data, cursor, cursor + length);
      offset = cursor + length;
    }
    this.tail = offset < data.length ? data.subarray(offset) : null;
  }
}

export class MqttClient {
  /** @param {{ port: number, host: string }} server */
  constructor(server) {
    this.server = server;
    this.nextPacketId = 1;
    this.ackCallbacks = new Map();
    this.unacked = 0;
    this.ackWaiters = [];
    this.replyQueue = [];
    this.onChat = () => {};
    this.onGroup = () => {};
  }

  /**
   * Connects as `user` (username and password checked by the broker). `available` subscribes to
   * the inbox; `persistent` uses a fixed client id and clean=false, so the broker keeps the
   * subscription and queues QoS 1 messages while the device is away.
   */
  async login(user, password, { available = true, persistent = false } = {}) {
    this.user = user;
    this.socket = connect({ port: this.server.port, host: this.server.host, noDelay: true });
    const reader = new PacketReader((type, data, start) => this.received(type, data, start));
    this.socket.on('data', (chunk) => {
      reader.push(chunk);
      this.flushReplies();
    });
    const failed = new Promise((_, reject) => {
      this.socket.once('error', reject);
      this.socket.once('close', () => reject(new Error(`${user}: connection closed during login`)));
    });
    failed.catch(() => {});
    const clientId = persistent ? user : `${user}-${Math.random().toString(36).slice(2, 10)}`;
    const connack = new Promise((resolve) => (this.onConnack = resolve));
    this.socket.write(connectPacket({ clientId, username: user, password, clean: !persistent }));
    const { sessionPresent, code } = await Promise.race([connack, failed]);
    if (code !== 0) throw new Error(`${user}: CONNACK return code ${code}`);
    // A device back on its persistent session is already subscribed; queued messages follow CONNACK.
    if (available && !sessionPresent) await Promise.race([this.subscribe(`u/${user}`), failed]);
    this.socket.removeAllListeners('error');
    this.socket.removeAllListeners('close');
    this.socket.on('error', () => {});
    return this;
  }

  /** Handles one packet from the broker. Hot path: PUBLISH, then PUBACK. */
  received(firstByte, data, start) {
    const type = firstByte & 0xf0;
    if (type === PUBLISH) {
      const topicLength = data.readUInt16BE(start);
      const topicStart = start + 2;
      let cursor = topicStart + topicLength;
      const qos = (firstByte >> 1) & 0x03;
      if (qos > 0) {
        this.replyQueue.push(Buffer.from([PUBACK, 2, data[cursor], data[cursor + 1]]));
        cursor += 2;
      }
      const seq = seqAt(data, cursor);
      if (data[topicStart] === GROUP_TOPIC_PREFIX) this.onGroup(seq);
      else this.onChat(seq);
    } else if (type === PUBACK) {
      const id = data.readUInt16BE(start);
      const callback = this.ackCallbacks.get(id);
      this.ackCallbacks.delete(id);
      this.unacked--;
      callback?.();
      if (this.unacked === 0) for (const resolve of this.ackWaiters.splice(0)) resolve();
    } else if (type === CONNACK) {
      this.onConnack?.({ sessionPresent: (data[start] & 0x01) === 1, code: data[start + 1] });
    } else if (type === SUBACK) {
      const id = data.readUInt16BE(start);
      this.ackCallbacks.get(id)?.(data[start + 2]);
      this.ackCallbacks.delete(id);
    }
  }

  /** PUBACKs for one chunk of deliveries go out in one write. */
  flushReplies() {
    if (this.replyQueue.length === 0) return;
    this.socket.write(this.replyQueue.length === 1 ? this.replyQueue[0] : Buffer.concat(this.replyQueue));
    this.replyQueue = [];
  }

  takePacketId() {
    const id = this.nextPacketId;
    this.nextPacketId = id === 0xffff ? 1 : id + 1;
    return id;
  }

  subscribe(topic) {
    const id = this.takePacketId();
    return new Promise((resolve, reject) => {
      this.ackCallbacks.set(id, (code) => (code === 0x80 ? reject(new Error(`${this.user}: SUBSCRIBE ${topic} refused`)) : resolve()));
      this.socket.write(packet(SUBSCRIBE, Buffer.from([id >> 8, id & 0xff]), utf8Field(topic), Buffer.from([1])));
    });
  }

  /** Publishes at QoS 1; `onAck` runs when the broker's PUBACK arrives. */
  publish(topicField, seq, onAck) {
    const id = this.takePacketId();
    this.ackCallbacks.set(id, onAck);
    this.unacked++;
    const remaining = topicField.length + 2 + PAYLOAD_BYTES;
    const length = encodeLength(remaining);
    const frame = Buffer.allocUnsafe(1 + length.length + remaining);
    frame[0] = PUBLISH | QOS1;
    let cursor = 1 + length.copy(frame, 1);
    cursor += topicField.copy(frame, cursor);
    frame.writeUInt16BE(id, cursor);
    frame.write(payloadFor(seq), cursor + 2, 'latin1');
    this.socket.write(frame);
  }

  sendChat(toUser, seq, onAck) {
    this.inboxFields ??= new Map();
    let field = this.inboxFields.get(toUser);
    if (!field) this.inboxFields.set(toUser, (field = utf8Field(`u/${toUser}`)));
    this.publish(field, seq, onAck);
  }

  /** Resolves once the broker has acknowledged every publish so far (they are queued or delivered). */
  ping() {
    return this.unacked === 0 ? Promise.resolve() : new Promise((resolve) => this.ackWaiters.push(resolve));
  }

  joinRoom(room) {
    this.roomField = utf8Field(`g/${room}`);
    return this.subscribe(`g/${room}`);
  }

  sendGroup(seq, onAck) {
    this.publish(this.roomField, seq, onAck);
  }

  /** Sends DISCONNECT, so a persistent session is kept and the device counts as offline at once. */
  close() {
    return new Promise((resolve) => {
      this.socket.once('close', resolve);
      this.socket.end(DISCONNECT);
    });
  }

  /** Drops the connection without DISCONNECT (bulk teardown). */
  terminate() {
    this.socket?.destroy();
  }
}
