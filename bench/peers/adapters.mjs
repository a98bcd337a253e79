// The two peers behind one shape: how to start the server and how to make a device client.
// Workloads (workloads.mjs) only talk to this shape, so both peers run the same code.
import { MqttClient } from './mqtt-client.mjs';
import { mosquittoVersion, MOSQUITTO_SETTINGS, startMosquitto } from './mosquitto.mjs';
import { PROSODY_AUTH, PROSODY_NETWORK, prosodyVersion, startProsody } from './prosody.mjs';
import { XmppClient } from './xmpp-client.mjs';

export const PEERS = {
  prosody: {
    start: startProsody,
    client: (server) => new XmppClient(server),
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
  mosquitto: {
    start: startMosquitto,
    client: (server) => new MqttClient(server),
    version: () => ({ mosquitto: mosquittoVersion() }),
    protocol: 'MQTT 3.1.1 over TCP, QoS 1, hand-written client on node:net',
    auth: 'password_file (PBKDF2-SHA512 hashes by mosquitto_passwd), username and password in CONNECT',
    settings: MOSQUITTO_SETTINGS,
    publishAck: true,
    online: 'CONNECT with username and password, subscribed to its inbox topic at QoS 1',
    room: 'a topic',
  },
};
