/**
 * @module test/support/tampering-client
 * An attacker for scenarios: a real SDK client (real MLS, real server) whose transport can
 * corrupt the ciphertext of the messages it sends, the way crafted packets would arrive. It is
 * test-only code: the product has no switch to send bad input.
 */
import { SottoClient, type Transport } from '@sotto/core';
import { nodeClientDeps } from '@sotto/client-node';
import { decodeFrame, encodeFrame, FrameType, peekFrameHeader } from '@sotto/protocol';
import { join } from 'node:path';

export class TamperingClient {
  /** While true, every SEND leaves with its MLS ciphertext's last bytes flipped. */
  corrupt = false;

  private constructor(readonly client: SottoClient) {}

  static async register(baseDir: string, serverUrl: string, username: string): Promise<TamperingClient> {
    const self: { tamper?: TamperingClient } = {};
    const deps = nodeClientDeps({ profileDir: join(baseDir, username), logLevel: 'silent', reconnect: false });
    const inner = deps.transport;
    const transport: Transport = {
      async open(url, handlers) {
        const socket = await inner.open(url, handlers);
        return { close: (code, reason) => socket.close(code, reason), send: (data) => socket.send(self.tamper?.corrupt ? corruptSend(data) : data) };
      },
    };
    const client = await SottoClient.register({ ...deps, transport }, serverUrl, username);
    self.tamper = new TamperingClient(client);
    await client.connect();
    return self.tamper;
  }

  /**
   * Gets `target` to accept this account (social engineering, done by `accept`) and opens the
   * 1:1 conversation with a first, honest message, so later messages reach the target's MLS.
   */
  async befriend(target: string, accept: (attacker: string) => Promise<unknown>): Promise<void> {
    await this.client.requestContact(target, 'hello, a colleague');
    await accept(this.client.identity.username);
    await this.client.sync();
    await this.client.sendText(await this.client.openDirect(target), 'hi');
    await this.client.idle();
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** A SEND frame with the end of its payload (the AEAD tag) flipped; every other frame unchanged. */
function corruptSend(data: Uint8Array): Uint8Array {
  if (peekFrameHeader(data)?.type !== FrameType.SEND) return data;
  const frame = decodeFrame(data);
  if (frame.type !== FrameType.SEND) return data;
  const payload = frame.body.payload.slice();
  for (let i = Math.max(0, payload.length - 16); i < payload.length; i += 1) payload[i]! ^= 0xa5;
  return encodeFrame(FrameType.SEND, frame.id, { ...frame.body, payload });
}
