/**
 * @module components/CallOverlay
 * The call on top of everything: an incoming ring (accept / decline), the outgoing ring, and
 * the call itself (timer, mute, hang up, packet counters). Until the member presses Accept,
 * the engine has created no peer connection and opened no microphone; this screen only
 * shows who is calling.
 */
import { useEffect, useState } from 'react';
import type { CallState, EndReason } from '@sotto/core';
import { useCallState, useElapsedSeconds, useEngine } from '../app/hooks.js';
import { formatDuration } from '../app/format.js';
import type { CallStats } from '../platform/browser-call-media.js';

const END_TEXT: Record<EndReason, string> = {
  'hangup-local': 'Call ended',
  'hangup-remote': 'They hung up',
  'declined-local': 'Call declined',
  'declined-remote': 'They declined the call',
  busy: 'They are on another call',
  timeout: 'No answer',
  failed: 'The call could not connect',
  missed: 'Missed call',
  'missed-request': 'Missed call request',
  'stale-ring': 'Missed call',
  // Someone joined or left the chat during the call: a call is only ever between its two people.
  'members-changed': 'Call ended: the chat’s members changed',
  // Another of the member's own linked devices took the call, declined it, or was on a call.
  'answered-elsewhere': 'Answered on another device',
  'declined-elsewhere': 'Declined on another device',
  'busy-elsewhere': 'On a call on another device',
};

/** How long the "call ended" card stays. */
const ENDED_VISIBLE_MS = 3000;

export function CallOverlay() {
  const { client } = useEngine();
  const state = useCallState();
  const [endedVisible, setEndedVisible] = useState(false);

  useEffect(() => {
    if (state.kind !== 'ended') return;
    setEndedVisible(true);
    const timer = setTimeout(() => setEndedVisible(false), ENDED_VISIBLE_MS);
    return () => clearTimeout(timer);
  }, [state]);

  if (state.kind === 'idle') return null;
  if (state.kind === 'ended') {
    if (!endedVisible || state.reason === 'missed-request' || state.reason === 'stale-ring') return null;
    return (
      <div className="call-overlay ended" role="status" aria-live="polite">
        <div className="call-card">
          <p className="call-peer">{state.peer}</p>
          <p className="call-status">{END_TEXT[state.reason]}{state.durationMs ? ` · ${formatDuration(state.durationMs / 1000)}` : ''}</p>
        </div>
      </div>
    );
  }

  const hangup = () => void client.calls.hangup().catch(() => undefined);

  if (state.kind === 'incoming-ringing') {
    return (
      <div className="call-overlay" role="dialog" aria-modal="true" aria-labelledby="ring-title">
        <div className="call-card ringing">
          <div className="avatar large" aria-hidden="true">{state.peer.slice(0, 1).toUpperCase()}</div>
          <p id="ring-title" className="call-peer">{state.peer}</p>
          <p className="call-status">is calling you</p>
          <div className="call-buttons">
            <button type="button" className="call-accept" onClick={() => void client.calls.accept().catch(() => undefined)} autoFocus>Accept</button>
            <button type="button" className="call-decline" onClick={() => void client.calls.decline().catch(() => undefined)}>Decline</button>
          </div>
        </div>
      </div>
    );
  }

  return (
    <div className="call-overlay" role="dialog" aria-modal="true" aria-labelledby="call-title">
      <div className="call-card">
        <div className="avatar large" aria-hidden="true">{state.peer.slice(0, 1).toUpperCase()}</div>
        <p id="call-title" className="call-peer">{state.peer}</p>
        <CallStatus state={state} />
        <div className="call-buttons">
          {state.kind !== 'outgoing-ringing' && <MuteButton />}
          <button type="button" className="call-decline" onClick={hangup} autoFocus>Hang up</button>
        </div>
        {state.kind === 'active' && <CallStatsLine />}
      </div>
    </div>
  );
}

function CallStatus({ state }: { state: Exclude<CallState, { kind: 'idle' | 'ended' | 'incoming-ringing' }> }) {
  const seconds = useElapsedSeconds(state.kind === 'active' ? state.connectedAt : undefined);
  const text = state.kind === 'outgoing-ringing' ? 'Ringing…' : state.kind === 'active' ? formatDuration(seconds) : 'Connecting…';
  return <p className="call-status" role="timer" aria-live="off" data-testid="call-status">{text}</p>;
}

function MuteButton() {
  const { media } = useEngine();
  const [muted, setMuted] = useState(false);
  const toggle = () => {
    media.setMuted(!muted);
    setMuted(!muted);
  };
  return (
    <button type="button" className={muted ? 'call-mute on' : 'call-mute'} aria-pressed={muted} onClick={toggle}>
      {muted ? 'Unmute' : 'Mute'}
    </button>
  );
}

function CallStatsLine() {
  const { media } = useEngine();
  const [stats, setStats] = useState<CallStats | undefined>();
  useEffect(() => {
    const timer = setInterval(() => void media.stats().then(setStats).catch(() => undefined), 1000);
    return () => clearInterval(timer);
  }, [media]);
  if (!stats) return null;
  return (
    <p className="call-stats muted" data-testid="call-stats" data-received={stats.packetsReceived} data-sent={stats.packetsSent}>
      {stats.codec ?? 'audio'} · sent {stats.packetsSent} · received {stats.packetsReceived} packets
      {stats.roundTripMs !== undefined ? ` · ${stats.roundTripMs} ms round trip` : ''}
    </p>
  );
}
