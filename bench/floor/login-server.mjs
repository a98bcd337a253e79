#!/usr/bin/env node
// The floor under Sotto's connect storm: a bare `ws` server on Node that does only what a login
// must (upgrade, CHALLENGE with a fresh nonce, HELLO decoded, the Ed25519 signature checked
// against the device's key, HELLO_OK answered) with the keys in a Map and nothing else: no
// database, no services, no mailbox. bench/login-floor.mjs measures it with the same client.
//
//   node bench/floor/login-server.mjs PORT KEYS_JSON
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { WebSocketServer } from 'ws';
import {
  authTranscript, ChallengeSchema, create, decodeFrame, encodeFrame, FrameType, HelloOkSchema, PROTOCOL_VERSION, ResponseSchema,
  SOFTWARE_VERSION,
} from '@sotto/protocol';

const [port, keysFile] = process.argv.slice(2);
/** username -> { deviceId, x (base64url public key) } */
const keys = new Map(Object.entries(JSON.parse(readFileSync(keysFile, 'utf8'))));
const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(port), path: '/v1/ws', perMessageDeflate: false });
wss.on('connection', (ws) => {
  const nonce = new Uint8Array(randomBytes(32));
  ws.send(encodeFrame(FrameType.CHALLENGE, 0, create(ChallengeSchema, { nonce, protocolVersion: PROTOCOL_VERSION, serverVersion: SOFTWARE_VERSION })));
  ws.on('message', (data) => {
    const frame = decodeFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    if (frame.type !== FrameType.HELLO || frame.body.auth.case !== 'login') return;
    const { username, deviceId } = frame.body.auth.value;
    const device = keys.get(username);
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: device.x }, format: 'jwk' });
    if (!verify(null, authTranscript(nonce, username, deviceId), key, frame.body.signature)) return ws.close();
    const hello = create(HelloOkSchema, { username, deviceId });
    ws.send(encodeFrame(FrameType.RESPONSE, frame.id, create(ResponseSchema, { result: { case: 'hello', value: hello } })));
  });
  ws.on('error', () => {});
});
wss.on('listening', () => process.stdout.write('ready\n'));
