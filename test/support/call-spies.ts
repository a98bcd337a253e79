/**
 * @module test/support/call-spies
 * Watching a real client in a call from outside its code: what its media stack is asked to do
 * (the real werift, wrapped only to count), which call signals reach its call engine, and which
 * call signals it decrypts at all (an eavesdropping member of a group). Test-only.
 */
import { decodeAppContent } from '@sotto/protocol';
import type { CallMediaFactory, CallSignal, SottoClient } from '@sotto/core';
import { WeriftCallMedia } from '@sotto/client-node/calls';

/**
 * The real werift factory; every call into it is appended to `log`, in order. `alsoGathers` are
 * candidate lines handed to the engine as gathered right after each local description, the way
 * another stack (Chromium's TCP and mDNS host candidates) would hand them.
 */
export function spiedMedia(log: string[], alsoGathers: readonly string[] = []): CallMediaFactory {
  const real = new WeriftCallMedia();
  return {
    createSession(options, handlers) {
      log.push('createSession');
      const session = real.createSession(options, handlers);
      const gathered = <T>(description: T): T => {
        for (const line of alsoGathers) handlers.onLocalCandidate(line);
        return description;
      };
      return {
        openMicrophone: () => (log.push('openMicrophone'), session.openMicrophone()),
        createOffer: () => (log.push('createOffer'), session.createOffer().then(gathered)),
        createAnswer: () => (log.push('createAnswer'), session.createAnswer().then(gathered)),
        setRemoteDescription: (kind, sdp) => (log.push(`setRemoteDescription:${kind}`), session.setRemoteDescription(kind, sdp)),
        addIceCandidate: (c) => (log.push('addIceCandidate'), session.addIceCandidate(c)),
        close: () => session.close(),
      };
    },
  };
}

/** Every call signal the inbox hands to `client`'s call engine, with its sender. */
export function signalsReaching(client: SottoClient): { from: string; signal: CallSignal }[] {
  const seen: { from: string; signal: CallSignal }[] = [];
  const calls = client.calls;
  const receive = calls.receive.bind(calls);
  calls.receive = (signal, origin, conversation) => {
    seen.push({ from: origin.user, signal });
    receive(signal, origin, conversation);
  };
  return seen;
}

/** A call signal one member could read: who sent it and which kind (accept, offer, answer, ice...). */
export interface DecryptedCallSignal {
  readonly from: string;
  readonly kind: string;
}

interface Incoming {
  readonly kind: string;
  readonly plaintext?: Uint8Array;
  readonly sender: { readonly username: string };
}
interface EngineInternals {
  readonly ctx: { readonly mls: { process(state: unknown, bytes: Uint8Array): Promise<Incoming> } };
}

/**
 * Every call signal `client` decrypts, in any conversation, whether or not its engine then acts
 * on it: what a third member added to a 1:1 could read. It wraps the engine's MLS context, which
 * the SDK does not expose, so it reaches into the client's internals on purpose.
 */
export function eavesdrop(client: SottoClient): DecryptedCallSignal[] {
  const seen: DecryptedCallSignal[] = [];
  const mls = (client as unknown as EngineInternals).ctx.mls;
  const process = mls.process.bind(mls);
  mls.process = async (state, bytes) => {
    const incoming = await process(state, bytes);
    if (incoming.kind === 'application' && incoming.plaintext) {
      try {
        const content = decodeAppContent(incoming.plaintext);
        if (content.body.case === 'call') seen.push({ from: incoming.sender.username, kind: content.body.value.kind.case ?? 'none' });
      } catch {
        // Not decodable content is no call signal anyone could read.
      }
    }
    return incoming;
  };
  return seen;
}

/** A genuine werift offer, the base for hand-made (or mutated) hostile signalling. */
export async function genuineOffer(): Promise<string> {
  const probe = new WeriftCallMedia().createSession({ iceServers: [], relayOnly: false, allowLoopback: true }, {
    onLocalCandidate() {}, onConnected() {}, onFailed() {}, onFirstRemoteAudio() {},
  });
  try {
    return await probe.createOffer();
  } finally {
    await probe.close();
  }
}
