/**
 * @module calls/relay-policy
 * How a call of this device reaches its peers: the TURN relay our own server offers, and whether
 * media may go only through it. Lockdown mode makes every call relay-only, whatever the call or
 * the setting asks; relay-only without a relay cannot connect, so it is refused up front. Shared
 * by 1:1 calls and group calls (which reach the SFU the same way).
 */
import { create, FrameType, GetTurnCredentialsSchema } from '@sotto/protocol';
import type { EngineContext } from '../context.js';
import { ClientError } from '../errors.js';
import type { IceServer } from './call-media.js';

export interface RelayPolicy {
  readonly iceServers: IceServer[];
  readonly relayOnly: boolean;
}

/** `relayOnlyAsked` is the call's own choice; absent, the member's setting decides. */
export async function fetchRelayPolicy(ctx: EngineContext, relayOnlyAsked: boolean | undefined): Promise<RelayPolicy> {
  const settings = await ctx.store.getSettings();
  const relayOnly = settings.lockdown || (relayOnlyAsked ?? settings.relayOnlyCalls);
  const result = await ctx.session.request(FrameType.GET_TURN_CREDENTIALS, create(GetTurnCredentialsSchema, {}));
  const turn = result.case === 'turnCredentials' ? result.value : undefined;
  const iceServers: IceServer[] = turn && turn.urls.length > 0 ? [{ urls: [...turn.urls], username: turn.username, credential: turn.credential }] : [];
  if (relayOnly && iceServers.length === 0) {
    throw new ClientError('NO_TURN', 'Relay-only calls need a TURN server, and this server has none configured.');
  }
  return { iceServers, relayOnly };
}
