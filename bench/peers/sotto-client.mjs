// A Sotto protocol client for load generation, with the same shape as XmppClient and MqttClient so
// the workloads are written once. It speaks the real wire protocol through the wire client the
// tests use (@sotto/server/wire-client: frames over WebSocket, Ed25519 challenge-hello) but sends opaque 200-byte payloads in place of MLS ciphertext:
// the server never parses MLS, so this measures the server's cost and not the client's MLS (that
// is bench/mls.mjs). A "chat" is a 1:1 group of two devices, a "room" a group of many.
import { ContactAction, DeliveryKind, FrameType, LIMITS } from '@sotto/protocol';
import { newMessageId } from '@sotto/core';
import { identityOf, WireClient } from '@sotto/server/wire-client';
import { payloadFor, seqAt } from './common.mjs';

const ACK_BATCH = 200;
const CONTACT_TEXT = 'bench';
const groupKey = (groupId) => Buffer.from(groupId).toString('hex');
const randomBytes = (n) => crypto.getRandomValues(new Uint8Array(n));
// Message ids as the reference client makes them (time-ordered, core/message-id.ts).
const ids = { clock: { now: Date.now }, random: { bytes: randomBytes } };

/** The result of a response; a load generator reads `case` and `value` only. */
const resultOf = (response) => response.result;

export class SottoClient {
  /** @param {{ wsUrl: string, accounts: Map<string, { key: import('node:crypto').KeyPairKeyObjectResult, deviceId: string }> }} server */
  constructor(server) {
    this.server = server;
    /** @type {WireClient | undefined} */
    this.wire = undefined;
    this.acks = [];
    this.ackScheduled = false;
    /** Chats this device sends into, by the other member's name: group id. */
    this.chats = new Map();
    /** Group ids (hex) of rooms this device is in; deliveries there go to onGroup. */
    this.rooms = new Set();
    /** Answers to contact requests, by the requester's name. */
    this.answers = new Map();
    this.onChat = () => {};
    this.onGroup = () => {};
  }

  get deviceId() {
    return this.server.accounts.get(this.user).deviceId;
  }

  /** Registers the workload's `user` as the account `username` with a fresh device; returns the device id. */
  async register(user, username, key) {
    this.user = user;
    this.username = username;
    await this.open();
    const ok = await this.wire.register(username, identityOf(key));
    return ok.deviceId;
  }

  /** Logs in as `user`'s registered device: upgrade, challenge, signed hello. Online from then on. */
  async login(user) {
    const account = this.server.accounts.get(user);
    if (!account) throw new Error(`${user} is not registered`);
    this.user = user;
    this.username = account.username;
    await this.open();
    await this.wire.login(account.username, account.deviceId, identityOf(account.key));
    return this;
  }

  async open() {
    // A load generator waits as long as the server takes: no per-request timer.
    this.wire = await WireClient.connect(this.server.wsUrl, { timeoutMs: Infinity });
    this.wire.onDelivery((delivery) => this.delivered(delivery));
  }

  delivered(delivery) {
    this.acks.push(delivery.seq);
    if (this.acks.length >= ACK_BATCH) this.flushAcks();
    else if (!this.ackScheduled) {
      this.ackScheduled = true;
      setImmediate(() => this.flushAcks());
    }
    if (delivery.kind === DeliveryKind.MLS_MESSAGE) {
      const seq = seqAt(delivery.payload, 0);
      if (this.rooms.has(groupKey(delivery.groupId))) this.onGroup(seq);
      else this.onChat(seq);
    } else if (delivery.kind === DeliveryKind.CONTACT_REQUEST) {
      // Members in a benchmark accept every contact request at once.
      this.answers.set(delivery.senderUsername, this.request(FrameType.CONTACT_RESPOND, { username: delivery.senderUsername, action: ContactAction.ACCEPT }));
    }
  }

  flushAcks() {
    this.ackScheduled = false;
    if (this.acks.length === 0 || this.wire.socket.readyState !== 1) return;
    for (let i = 0; i < this.acks.length; i += LIMITS.maxAckSeqs) this.wire.ack(this.acks.slice(i, i + LIMITS.maxAckSeqs));
    this.acks = [];
  }

  /** Sends a request without waiting for earlier ones; resolves with its result. */
  async request(type, init) {
    return resultOf(await this.wire.request(type, init));
  }

  /** Asks the account `username` to be a contact; resolves when the server stored the request. */
  async requestContact(username) {
    const result = await this.request(FrameType.CONTACT_REQUEST, { toUsername: username, text: CONTACT_TEXT });
    if (result.case === 'error') throw new Error(`${this.user}: contact request refused: ${result.value.message}`);
  }

  /** Creates a group with `members` (clients of accepted contacts); returns its id. */
  async createGroup(members) {
    const groupId = randomBytes(LIMITS.groupIdBytes);
    const result = await this.request(FrameType.CREATE_GROUP, {
      groupId, epoch: 1n, welcome: randomBytes(100),
      members: members.map((m) => ({ username: m.username, deviceId: m.deviceId })),
    });
    if (result.case !== 'ok') throw new Error(`${this.user}: group refused: ${result.value?.message ?? result.case}`);
    return groupId;
  }

  /** Makes `recipient` (a logged-in client) a contact and opens a 1:1 chat to it. */
  async openChat(recipient) {
    await this.requestContact(recipient.username);
    await recipient.responded(this.username);
    this.chats.set(recipient.user, await this.createGroup([recipient]));
  }

  /** Resolves once this client has answered the contact request of the account `username` (it answers every one at once). */
  async responded(username) {
    while (!this.answers.has(username)) await new Promise((resolve) => setTimeout(resolve, 2));
    const result = await this.answers.get(username);
    if (result.case === 'error') throw new Error(`${this.user}: contact answer refused: ${result.value.message}`);
  }

  sendChat(to, seq, onAck) {
    const groupId = this.chats.get(to);
    if (!groupId) throw new Error(`${this.user} has no chat with ${to}`);
    this.send(groupId, seq, onAck);
  }

  sendGroup(seq) {
    this.send(this.room, seq);
  }

  send(groupId, seq, onAck) {
    const payload = Buffer.from(payloadFor(seq));
    this.request(FrameType.SEND, { groupId, messageId: newMessageId(ids.clock, ids.random), payload }).then((result) => {
      if (result.case !== 'send') throw new Error(`${this.user}: send refused: ${result.value?.message ?? result.case}`);
      onAck?.();
    });
  }

  /** Resolves when every request this client made has been answered (the MQTT/XMPP ping barrier). */
  idle() {
    return this.wire.idle();
  }

  ping() {
    return this.idle();
  }

  async close() {
    this.flushAcks();
    await this.idle();
    await this.wire.close();
  }

  terminate() {
    this.wire.terminate();
  }
}
