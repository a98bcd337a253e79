// A minimal XMPP-over-WebSocket client (RFC 7395) for load generation, on `ws`.
//
// Why hand-written rather than @xmpp/client: the generator must not be the bottleneck. @xmpp/client
// runs every stanza through an XML parser into element trees and middleware, and carries per-
// connection machinery (reconnect, stream management, SASL negotiation framework) that costs memory
// and CPU per connection and per message. Here each WebSocket message holds exactly one top-level
// element (RFC 7395 section 3.3.3), the stanzas we receive have a fixed shape, and we only need the
// sequence number in a message body, so matching bytes is enough. The login is the full real one:
// stream open, SASL PLAIN, stream restart, resource binding, initial presence.
import WebSocket from 'ws';
import { payloadFor, seqAt } from './common.mjs';

const FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';
const BODY = Buffer.from('<body>');
const MESSAGE = Buffer.from('<message');
const GROUPCHAT = Buffer.from('groupchat');

export class XmppClient {
  /** @param {{ wsUrl: string, domain: string }} server */
  constructor(server) {
    this.server = server;
    this.waiters = [];
    this.nextId = 1;
    /** Called with the sequence number of each chat message received. */
    this.onChat = () => {};
    /** Called with the sequence number of each groupchat message received. */
    this.onGroup = () => {};
  }

  /**
   * Logs in as `user`: WebSocket upgrade, stream open, SASL PLAIN, restart, bind; then, when
   * `available`, initial presence followed by a ping whose answer shows the presence was handled.
   */
  async login(user, password, { available = true } = {}) {
    this.jid = `${user}@${this.server.domain}`;
    this.ws = new WebSocket(this.server.wsUrl, 'xmpp', { perMessageDeflate: false, skipUTF8Validation: true });
    this.ws.on('message', (data) => this.received(data));
    const closed = new Promise((_, reject) => {
      this.ws.once('error', reject);
      this.ws.once('close', () => reject(new Error(`${user}: connection closed during login`)));
    });
    closed.catch(() => {});
    const step = (promise) => Promise.race([promise, closed]);
    await step(new Promise((resolve) => this.ws.once('open', resolve)));
    await step(this.openStream());
    const auth = Buffer.from(`\0${user}\0${password}`).toString('base64');
    const outcome = await step(this.sendAndWait(`<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">${auth}</auth>`, (s) => s.startsWith('<success') || s.startsWith('<failure')));
    if (outcome.startsWith('<failure')) throw new Error(`${user}: SASL failure ${outcome}`);
    await step(this.openStream());
    await step(this.iq(`<iq xmlns="jabber:client" type="set" id="bind"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"><resource>bench</resource></bind></iq>`, 'bind'));
    if (available) {
      this.ws.send('<presence xmlns="jabber:client"/>');
      await step(this.ping());
    }
    this.ws.removeAllListeners('close');
    this.ws.removeAllListeners('error');
    this.ws.on('error', () => {});
    return this;
  }

  /** Sends the stream open and waits for the server's features (which follow its own <open/>). */
  openStream() {
    return this.sendAndWait(`<open xmlns="${FRAMING}" to="${this.server.domain}" version="1.0"/>`, (s) => s.includes('features'));
  }

  /** A round trip: its answer shows every stanza sent before it on this stream was processed. */
  ping() {
    const id = `p${this.nextId++}`;
    return this.iq(`<iq xmlns="jabber:client" type="get" id="${id}" to="${this.server.domain}"><ping xmlns="urn:xmpp:ping"/></iq>`, id);
  }

  iq(xml, id) {
    return this.sendAndWait(xml, (s) => s.startsWith('<iq') && (s.includes(`id='${id}'`) || s.includes(`id="${id}"`)));
  }

  sendAndWait(xml, matches) {
    return new Promise((resolve) => {
      this.waiters.push({ matches, resolve });
      this.ws.send(xml);
    });
  }

  /** Hot path: messages are recognised by bytes; anything else goes to whoever waits for it. */
  received(data) {
    if (data.subarray(0, MESSAGE.length).equals(MESSAGE)) {
      const body = data.indexOf(BODY);
      if (body < 0) return; // e.g. a MUC subject message
      const seq = seqAt(data, body + BODY.length);
      const typeEnd = Math.min(data.length, body);
      if (data.subarray(0, typeEnd).indexOf(GROUPCHAT) >= 0) this.onGroup(seq);
      else this.onChat(seq);
      return;
    }
    if (this.waiters.length === 0) return;
    const text = data.toString();
    const index = this.waiters.findIndex((w) => w.matches(text));
    if (index >= 0) this.waiters.splice(index, 1)[0].resolve(text);
  }

  sendChat(toUser, seq) {
    this.ws.send(`<message xmlns="jabber:client" to="${toUser}@${this.server.domain}" type="chat" id="m${seq}"><body>${payloadFor(seq)}</body></message>`);
  }

  /** Joins `room` as `nick` and waits for the room's self-presence (status 110). */
  joinRoom(room, nick) {
    this.room = `${room}@${this.server.mucDomain}`;
    return this.sendAndWait(
      `<presence xmlns="jabber:client" to="${this.room}/${nick}"><x xmlns="http://jabber.org/protocol/muc"><history maxstanzas="0"/></x></presence>`,
      (s) => s.startsWith('<presence') && (s.includes("code='110'") || s.includes('code="110"')),
    );
  }

  sendGroup(seq) {
    this.ws.send(`<message xmlns="jabber:client" to="${this.room}" type="groupchat" id="g${seq}"><body>${payloadFor(seq)}</body></message>`);
  }

  /** Ends the stream politely so the server marks the user offline at once. */
  async close() {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    const closed = new Promise((resolve) => this.ws.once('close', resolve));
    this.ws.send(`<close xmlns="${FRAMING}"/>`);
    this.ws.close();
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000))]);
    this.ws.terminate();
  }

  /** Drops the connection without the closing handshake (bulk teardown). */
  terminate() {
    this.ws?.terminate();
  }
}
