/**
 * @module components/GroupCallBar
 * A group's call, above its chat: while others are in it, who, and Join; once joined, who this
 * device hears, Mute, Camera and Leave, and the participants' video. Joining is the member's click, the only way anything of a call
 * reaches this device (the microphone opens then, not before). Who is in the call comes from the
 * group's own messages ("ana joined the call"), never from the server.
 */
import { useEffect, useState } from 'react';
import type { GroupCallMember, GroupCallState } from '@sotto/core';
import { useAction, useEngine, useLoaded, useRevision } from '../app/hooks.js';
import { GroupCallCameraButtons, GroupCallVideo } from './GroupCallVideo.js';

export function useGroupCallState(): GroupCallState {
  const { client } = useEngine();
  const [state, setState] = useState<GroupCallState>(client.groupCalls.current);
  useEffect(() => client.groupCalls.events.didChangeGroupCall.event(setState), [client]);
  return state;
}

function names(members: readonly GroupCallMember[]): string {
  return [...new Set(members.map((m) => m.user))].join(', ');
}

export function GroupCallBar({ groupId }: { groupId: string }) {
  const { client, groupMedia } = useEngine();
  const state = useGroupCallState();
  const revision = useRevision();
  const inProgress = useLoaded(() => client.groupCalls.inProgress(groupId), [client, groupId, revision, state]);
  const [act, error, , clearError] = useAction();
  const [muted, setMuted] = useState(false);
  const here = state.kind !== 'idle' && state.groupId === groupId;

  if (here && (state.kind === 'joining' || state.kind === 'joined')) {
    const status = state.kind === 'joining' ? 'Joining the call…'
      : state.heard.length > 0 ? `In the call with ${names(state.heard)}` : 'In the call. Waiting for the others…';
    const speaking = state.kind === 'joined' && state.speaking.length > 0 ? names(state.speaking) : undefined;
    const toggle = () => {
      groupMedia.setMuted(!muted);
      setMuted(!muted);
    };
    return (
      <section className="call-bar group-call" role="region" aria-label="Group call">
        <span className="call-bar-text">
          <span className="call-status" role="status" data-testid="group-call-status">{status}</span>
          <span className="call-status" aria-live="off" data-testid="group-call-speaking">{speaking ? `Speaking: ${speaking}` : '\u00a0'}</span>
        </span>
        <div className="call-bar-controls">
          <button type="button" className={muted ? 'call-mute on' : 'call-mute'} aria-pressed={muted} onClick={toggle}>{muted ? 'Unmute' : 'Mute'}</button>
          {state.kind === 'joined' && <GroupCallCameraButtons />}
          <button type="button" className="call-decline" onClick={() => void act(() => client.groupCalls.leave())}>Leave</button>
        </div>
        {state.kind === 'joined' && <GroupCallVideo />}
      </section>
    );
  }
  const me = client.identity;
  const others = (inProgress ?? []).filter((p) => !(p.user === me.username && p.device === me.deviceId));
  const failed = here && state.kind === 'ended' && state.reason === 'failed' ? state.message : undefined;
  if (others.length === 0 && !failed && !error) return null;
  return (
    <section className="call-bar group-call" role="region" aria-label="Group call">
      {others.length > 0 && <span className="call-status" data-testid="group-call-status">Call in progress: {names(others)}</span>}
      {(failed ?? error) && <span role="alert">{failed ?? error}</span>}
      <div className="call-bar-controls">
        {others.length > 0 && <button type="button" className="call-accept" onClick={() => { clearError(); void act(() => client.groupCalls.join(groupId)); }}>Join</button>}
      </div>
    </section>
  );
}
