/**
 * @module components/CallBar
 * The call, in a bar above the panes instead of a screen over them, so the member can go on
 * chatting (or look something up) while a call rings or runs: an incoming ring (accept or
 * decline), the outgoing ring, and the call itself (timer, mute, hang up, and the packet
 * counters behind "Call details"). Until the member presses Accept, the engine has created no
 * peer connection and opened no microphone; the bar only shows who is calling.
 *
 * Focus stays with the call's controls from one state to the next (Accept gives way to Hang up,
 * not to the page's body), and goes back where it was once the call is over. A ring never takes
 * focus from a text field: a member typing Enter must not answer a call by accident.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { isLive, type LiveCallState } from '@sotto/core';
import { useCallState, useElapsedSeconds, useEngine } from '../app/hooks.js';
import { formatDuration } from '../app/format.js';
import { errorText } from '../app/error-text.js';
import { useProfiles } from '../app/profiles.js';
import { Avatar } from './Avatar.js';
import { CallEndedToast } from './CallEndedToast.js';
import { CallVideo, CameraButtons } from './CallVideo.js';
import type { CallStats } from '../platform/browser-call-media.js';

export function CallBar({ onOpenChat }: { onOpenChat: (peer: string) => void }) {
  const { client } = useEngine();
  const state = useCallState();
  const bar = useRef<HTMLElement>(null);
  const primary = useRef<HTMLButtonElement>(null);
  /** Where focus was when the call began, to return it there afterwards. */
  const returnFocus = useRef<HTMLElement | null>(null);
  /** Why the member's own Accept could not go ahead (e.g. lockdown on a server without a relay). */
  const [problem, setProblem] = useState<string | undefined>();
  const live = isLive(state);

  const wasLive = useRef(false);
  useLayoutEffect(() => {
    const focused = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const lost = focused === null || focused === document.body;
    const starting = live && !wasLive.current;
    wasLive.current = live;
    if (!live) {
      // The bar is gone: if it had focus (now lost to the body), give it back. The screen it was
      // on may have been left and opened again (a new element): then the open chat's composer.
      if (lost) (returnFocus.current?.isConnected ? returnFocus.current : document.querySelector<HTMLElement>('.main-pane textarea'))?.focus();
      returnFocus.current = null;
      return;
    }
    if (starting) {
      returnFocus.current = lost ? null : focused;
      if (lost || !isTextEntry(focused)) primary.current?.focus();
    } else if (lost) {
      // The control that had focus went with the state (Accept after accepting): the next one takes it.
      primary.current?.focus();
    }
  }, [state.kind, live]);

  useEffect(() => {
    if (state.kind === 'incoming-ringing') setProblem(undefined);
  }, [state.kind]);

  if (!live) return <CallEndedToast state={state} problem={problem} />;

  const accept = (video: boolean) => void client.calls.accept({ video }).catch((e: unknown) => setProblem(errorText(e)));
  const decline = () => void client.calls.decline().catch(() => undefined);
  const hangup = () => void client.calls.hangup().catch(() => undefined);
  const ringing = state.kind === 'incoming-ringing';
  const videoCall = state.media === 'video';

  return (
    <section ref={bar} className={ringing ? 'call-bar ringing' : 'call-bar'} role={ringing ? 'dialog' : 'region'}
      aria-label={`${videoCall ? 'Video call' : 'Call'} ${ringing ? 'from' : 'with'} ${state.peer}`} aria-describedby="call-bar-status">
      <CallPeer state={state} onOpenChat={onOpenChat} />
      <div className="call-bar-controls">
        {ringing ? (
          <>
            <button ref={primary} type="button" className="call-accept" onClick={() => accept(videoCall)}>Accept</button>
            {/* A video call can be taken with the camera closed: the member's choice, made before anything opens. */}
            {videoCall && <button type="button" className="call-mute" onClick={() => accept(false)}>Voice only</button>}
            <button type="button" className="call-decline" onClick={decline}>Decline</button>
          </>
        ) : (
          <>
            {state.kind !== 'outgoing-ringing' && <MuteButton />}
            {videoCall && (state.kind === 'active' || state.kind === 'caller-connecting' || state.kind === 'callee-connecting') && <CameraButtons />}
            {!videoCall && state.kind === 'active' && <VideoAsk state={state} onProblem={setProblem} />}
            <button ref={primary} type="button" className="call-decline" onClick={hangup}>Hang up</button>
          </>
        )}
      </div>
      {state.kind === 'active' && <CallDetails />}
      {videoCall && state.kind === 'active' && <CallVideo peer={state.peer} />}
    </section>
  );
}

/**
 * A voice call's move to video, by consent of both: "Turn on video" asks the peer (nothing opens
 * yet); the peer sees the ask and turns video on, or not. Each camera opens only on its own
 * member's ask or accept, once both said yes.
 */
function VideoAsk({ state, onProblem }: { state: Extract<LiveCallState, { kind: 'active' }>; onProblem: (problem: string | undefined) => void }) {
  const { client } = useEngine();
  const [ended, setEnded] = useState<string | undefined>();
  useEffect(() => client.calls.events.didEndVideoRequest.event(({ reason }) => {
    setEnded(reason === 'declined' ? `${state.peer} stays on voice` : `No answer from ${state.peer} about video`);
  }), [client, state.peer]);
  const act = (work: () => Promise<void>) => {
    setEnded(undefined);
    void work().catch((e: unknown) => onProblem(errorText(e)));
  };
  const upgrade = state.upgrade;
  if (upgrade?.step === 'asked' && upgrade.by === 'remote') {
    // A row of its own: the ask, and the two answers under it, apart from the call's own controls.
    return (
      <div className="video-ask" role="group" aria-label="Video request">
        <span className="call-status" role="status">{state.peer} asks to turn on video</span>
        <button type="button" className="call-accept" onClick={() => act(() => client.calls.acceptVideo())}>Turn on video</button>
        <button type="button" className="call-mute" onClick={() => act(() => client.calls.declineVideo())}>Not now</button>
      </div>
    );
  }
  if (upgrade?.step === 'asked') {
    return (
      <>
        <span className="call-status" role="status">Asking {state.peer} to turn on video…</span>
        <button type="button" className="call-mute" onClick={() => act(() => client.calls.cancelVideo())}>Cancel</button>
      </>
    );
  }
  if (upgrade) return <span className="call-status" role="status">Turning on video…</span>;
  return (
    <>
      {ended && <span className="call-status" role="status">{ended}</span>}
      <button type="button" className="call-mute" onClick={() => act(() => client.calls.requestVideo())}>Turn on video</button>
    </>
  );
}

function CallPeer({ state, onOpenChat }: { state: LiveCallState; onOpenChat: (peer: string) => void }) {
  const profile = useProfiles([state.peer]).get(state.peer);
  const name = profile?.displayName || state.peer;
  return (
    <div className="call-bar-peer">
      <Avatar username={state.peer} displayName={profile?.displayName} avatar={profile?.avatar} size={36} />
      <div className="call-bar-text">
        {/* The name opens the chat with them: the call goes on while the member reads or writes. */}
        <button type="button" className="link-button call-peer" onClick={() => onOpenChat(state.peer)}
          aria-label={`${name}, open the chat`}>{name}</button>
        <CallStatus state={state} />
      </div>
    </div>
  );
}

function CallStatus({ state }: { state: LiveCallState }) {
  const seconds = useElapsedSeconds(state.kind === 'active' ? state.connectedAt : undefined);
  const video = state.media === 'video';
  const text = state.kind === 'incoming-ringing' ? (video ? 'is video calling you' : 'is calling you')
    : state.kind === 'outgoing-ringing' ? (video ? 'Video call, ringing…' : 'Ringing…')
    : state.kind === 'active' ? formatDuration(seconds)
    : 'Connecting…';
  return <span id="call-bar-status" className="call-status" role="timer" aria-live="off" data-testid="call-status">{text}</span>;
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

/** The packet counters, for the curious and for bug reports: out of sight until asked for. */
function CallDetails() {
  const [open, setOpen] = useState(false);
  return (
    <details className="call-details" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Call details</summary>
      {open && <CallStatsLine />}
    </details>
  );
}

function CallStatsLine() {
  const { media } = useEngine();
  const [stats, setStats] = useState<CallStats | undefined>();
  useEffect(() => {
    const read = () => void media.stats().then(setStats).catch(() => undefined);
    read();
    const timer = setInterval(read, 1000);
    return () => clearInterval(timer);
  }, [media]);
  if (!stats) return null;
  return (
    <p className="call-stats" data-testid="call-stats" data-received={stats.packetsReceived} data-sent={stats.packetsSent}>
      {stats.codec ?? 'audio'} · sent {stats.packetsSent} · received {stats.packetsReceived} packets
      {stats.roundTripMs !== undefined ? ` · ${stats.roundTripMs} ms round trip` : ''}
    </p>
  );
}

function isTextEntry(element: Element): boolean {
  if (element instanceof HTMLTextAreaElement) return true;
  if (element instanceof HTMLInputElement) return !['button', 'checkbox', 'radio', 'submit', 'reset', 'range', 'color', 'file'].includes(element.type);
  return element instanceof HTMLElement && element.isContentEditable;
}
