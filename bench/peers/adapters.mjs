// Sotto and its peers behind one shape: how to start the server, how to make a device client,
// how two devices come to share a chat and how a group is formed. Workloads (workloads.mjs) only
// talk to this shape, so all of them run the same code.
import { mapLimit } from './common.mjs';
import { EJABBERD_AUTH, EJABBERD_VM, ejabberdVersion, startEjabberd } from './ejabberd.mjs';
import { MqttClient } from './mqtt-client.mjs';
import { mosquittoVersion, MOSQUITTO_SETTINGS, startMosquitto } from './mosquitto.mjs';
import { PROSODY_AUTH, PROSODY_NETWORK, prosodyVersion, startProsody } from './prosody.mjs';
import { SottoClient } from './sotto-client.mjs';
import { SOTTO_SETTINGS, sottoVersion, startSotto } from './sotto.mjs';
import { XmppClient } from './xmpp-client.mjs';

const JOIN_CONCURRENCY = 100;

/** XMPP and MQTT need nothing before two devices can message: the address is the user. */
const noChatSetUp = async () => {};

/** A MUC room or a topic: each member joins (subscribes) itself, the sender last. */
async function joinEach(room, sender, members) {
  await mapLimit(members, JOIN_CONCURRENCY, (client, i) => client.joinRoom(room, `n${i}`));
  await sender.joinRoom(room, 'sender');
}

/**
 * A Sotto group: its creator must be a contact of every member (consent before anything reaches
 * them), so the sender asks each, each accepts, then the sender creates the group naming all.
 */
async function createSottoGroup(_room, sender, members) {
  await mapLimit(members, JOIN_CONCURRENCY, async (member) => {
    await sender.requestContact(member.username);
    await member.responded(sender.username);
  });
  sender.room = await sender.createGroup(members);
  const key = Buffer.from(sender.room).toString('hex');
  for (const member of members) member.rooms.add(key);
}

export const PEERS = {
  sotto: {
    start: startSotto,
    client: (server) => new SottoClient(server),
    openChat: (sender, recipient) => sender.openChat(recipient),
    formRoom: createSottoGroup,
    version: sottoVersion,
    protocol: 'Sotto wire protocol v1 over WebSocket (docs/PROTOCOL.md), opaque 200-byte payloads in place of MLS ciphertext; client on ws and @sotto/protocol',
    auth: 'Ed25519 challenge-response (the device signs the server nonce), the key checked against the registered device',
    settings: SOTTO_SETTINGS,
    publishAck: true,
    online: 'WebSocket upgrade, server challenge, signed HELLO answered (mailbox delivery starts)',
    room: 'a group of contacts (created by the sender after each member accepted its contact request)',
  },
  prosody: {
    start: startProsody,
    client: (server) => new XmppClient(server),
    openChat: noChatSetUp,
    formRoom: joinEach,
    version: prosodyVersion,
    protocol: 'XMPP over WebSocket (RFC 7395), hand-written client on ws',
    auth: PROSODY_AUTH,
    settings: {
      network: PROSODY_NETWORK,
      modules: 'saslauth, roster, ping, websocket, offline, posix; MUC component; no limits, no s2s',
      storage: 'internal (files; mod_offline appends each queued message, no fsync)',
      muc: 'room locking off, history 0, join presence not broadcast',
    },
    // Prosody acknowledges nothing to the sender unless XEP-0198 stream management is used.
    publishAck: false,
    // What "available" means for a device on this peer, for the method text.
    online: 'SASL PLAIN login, resource bound, initial presence sent',
    room: 'a MUC room',
  },
  ejabberd: {
    start: startEjabberd,
    client: (server) => new XmppClient(server),
    openChat: noChatSetUp,
    formRoom: joinEach,
    version: ejabberdVersion,
    protocol: 'XMPP over WebSocket (RFC 7395), the same client as Prosody\'s',
    auth: EJABBERD_AUTH,
    settings: {
      vm: EJABBERD_VM,
      modules: 'mod_http_api (provisioning only), mod_offline, mod_ping, mod_roster, mod_muc; no shapers, no s2s, no TLS',
      storage: 'Mnesia (ejabberd\'s default: accounts and queued offline messages in disc_only tables, written without fsync)',
      muc: 'history 0, join presence broadcast to moderators only, up to 5,000 occupants',
    },
    publishAck: false,
    online: 'SASL PLAIN login, resource bound, initial presence sent',
    room: 'a MUC room',
  },
  mosquitto: {
    start: startMosquitto,
    client: (server) => new MqttClient(server),
    openChat: noChatSetUp,
    formRoom: joinEach,
    version: () => ({ mosquitto: mosquittoVersion() }),
    protocol: 'MQTT 3.1.1 over TCP, QoS 1, hand-written client on node:net',
    auth: 'password_file (PBKDF2-SHA512 hashes by mosquitto_passwd), username and password in CONNECT',
    settings: MOSQUITTO_SETTINGS,
    publishAck: true,
    online: 'CONNECT with username and password, subscribed to its inbox topic at QoS 1',
    room: 'a topic',
  },
};
