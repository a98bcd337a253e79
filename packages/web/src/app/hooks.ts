/**
 * @module app/hooks
 * How screens read the engine: every engine event bumps a revision number, and screens
 * reload what they show when it changes. The store is local, so reloading is cheap, and no
 * screen keeps a second copy of the truth.
 */
import { createContext, useContext, useEffect, useState } from 'react';
import type { CallState } from '@sotto/core';
import type { Engine } from './engine.js';
import { errorText } from './error-text.js';

export const EngineContext = createContext<Engine | null>(null);

export function useEngine(): Engine {
  const engine = useContext(EngineContext);
  if (!engine) throw new Error('useEngine outside EngineContext');
  return engine;
}

/**
 * Changes this page made itself that the engine stores without an event (answering a contact
 * request refreshes the contact list quietly): screens announce them so every other screen
 * showing the same data (the Contacts tab's badge) reloads too, not only the one that acted.
 */
const localChanges = new EventTarget();

export function announceLocalChange(): void {
  localChanges.dispatchEvent(new Event('change'));
}

/** A number that changes whenever the engine reports anything (messages, contacts, calls...) or a screen announces a change. */
export function useRevision(): number {
  const { client } = useEngine();
  const [revision, setRevision] = useState(0);
  useEffect(() => {
    const bump = () => setRevision((r) => r + 1);
    localChanges.addEventListener('change', bump);
    const e = client.events;
    const c = client.calls.events;
    const off = [
      e.didReceiveMessage.event(bump), e.didChangeContact.event(bump), e.didChangeStatus.event(bump),
      e.didJoinConversation.event(bump), e.didChangeMembers.event(bump), e.didDrainMailbox.event(bump), e.didChangeConnection.event(bump),
      c.didLogCall.event(bump), client.lockdown.didChange.event(bump), client.threats.didReceive.event(bump), e.didChangeDevices.event(bump),
      // An edit, a deletion or a reaction changes a message in place; the sweep takes disappearing
      // ones away; a timer change is a setting.
      e.didChangeMessage.event(bump), e.didExpireMessages.event(bump), e.didChangeSettings.event(bump),
    ];
    return () => {
      localChanges.removeEventListener('change', bump);
      off.forEach((f) => f());
    };
  }, [client]);
  return revision;
}

/** The value `load` resolves to, reloaded whenever `deps` change; undefined until the first load. */
export function useLoaded<T>(load: () => Promise<T>, deps: readonly unknown[]): T | undefined {
  const [value, setValue] = useState<T | undefined>(undefined);
  useEffect(() => {
    let live = true;
    load().then((v) => { if (live) setValue(v); }).catch((error: unknown) => console.warn('load failed', error instanceof Error ? error.name : 'unknown'));
    return () => { live = false; };
  }, deps);
  return value;
}

export function useCallState(): CallState {
  const { client } = useEngine();
  const [state, setState] = useState<CallState>(client.calls.current);
  useEffect(() => client.calls.events.didChangeCall.event(setState), [client]);
  return state;
}

export function useConnectionState(): string {
  const { client } = useEngine();
  const [state, setState] = useState<string>(client.connectionState);
  useEffect(() => client.events.didChangeConnection.event(setState), [client]);
  return state;
}

/** Seconds since `since`, ticking once a second. */
export function useElapsedSeconds(since: number | undefined): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (since === undefined) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [since]);
  return since === undefined ? 0 : Math.max(0, Math.floor((now - since) / 1000));
}

/** The clock, ticking every `everyMs` while `active` (a disappearing message's time left). */
export function useNow(everyMs: number, active: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs, active]);
  return now;
}

/** Runs an action, keeping its error message for the screen to show; returns whether it worked. */
export function useAction(): [(action: () => Promise<unknown>) => Promise<boolean>, string | undefined, boolean, () => void] {
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const run = async (action: () => Promise<unknown>): Promise<boolean> => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      return true;
    } catch (e) {
      setError(errorText(e));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return [run, error, busy, () => setError(undefined)];
}
