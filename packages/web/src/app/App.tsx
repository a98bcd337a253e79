/**
 * @module app/App
 * The app's phases: find the profile in this browser, register or open it, connect, and then
 * the messenger itself. "Update required" and "cannot reach the server" are screens of their
 * own, because in both cases nothing else can work.
 */
import { useCallback, useEffect, useState } from 'react';
import { RemoteError } from '@sotto/core';
import { ErrorCode } from '@sotto/protocol';
import { EngineContext } from './hooks.js';
import { errorText } from './error-text.js';
import { linkHere, openHere, registerHere, storedUsername, type Engine } from './engine.js';
import { Welcome } from '../screens/Welcome.js';
import { Home } from '../screens/Home.js';
import { UpdateRequired } from '../screens/UpdateRequired.js';
import { Unreachable } from '../screens/Unreachable.js';
import { OpenElsewhere } from '../screens/OpenElsewhere.js';
import { Notifier } from '../components/Notifier.js';

type Phase =
  | { readonly kind: 'loading'; readonly username?: string }
  | { readonly kind: 'welcome' }
  | { readonly kind: 'ready'; readonly engine: Engine }
  | { readonly kind: 'update-required'; readonly message: string }
  | { readonly kind: 'unreachable'; readonly username: string; readonly message: string }
  | { readonly kind: 'elsewhere'; readonly engine: Engine };

function isUpdateRequired(error: unknown): error is RemoteError {
  return error instanceof RemoteError && ((error.wireCode === ErrorCode.UPDATE_REQUIRED || error.wireCode === ErrorCode.UNSUPPORTED_PROTOCOL));
}

/** At sign-in, an unknown device is this browser, removed from its account by another of its devices. */
function signInErrorText(error: unknown): string {
  if (error instanceof RemoteError && error.wireCode === ErrorCode.UNKNOWN_DEVICE) {
    return 'this browser is no longer a device of the account (another of its devices removed it).';
  }
  return errorText(error);
}

export function App() {
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });

  const connect = useCallback(async (engine: Engine, username: string) => {
    try {
      await engine.client.connect();
      setPhase({ kind: 'ready', engine });
    } catch (error) {
      await engine.client.close().catch(() => undefined);
      // The server's own sentence names the version it needs.
      if (isUpdateRequired(error)) setPhase({ kind: 'update-required', message: error.message });
      else setPhase({ kind: 'unreachable', username, message: signInErrorText(error) });
    }
  }, []);

  const signIn = useCallback(async () => {
    const username = await storedUsername();
    if (!username) return setPhase({ kind: 'welcome' });
    setPhase({ kind: 'loading', username });
    await connect(await openHere(), username);
  }, [connect]);

  useEffect(() => {
    void signIn();
  }, [signIn]);

  // A session that stops for good ends in 'idle': the server now requires a newer app, or
  // another tab of this browser took the device's one connection over.
  useEffect(() => {
    if (phase.kind !== 'ready') return;
    const { client } = phase.engine;
    return client.events.didChangeConnection.event((state) => {
      if (state !== 'idle') return;
      const reason = client.stopReason;
      if (isUpdateRequired(reason)) {
        void client.close();
        setPhase({ kind: 'update-required', message: reason.message });
      } else if (reason?.code === 'REPLACED') {
        setPhase({ kind: 'elsewhere', engine: phase.engine });
      }
    });
  }, [phase]);

  const register = async (username: string, invite: string) => {
    const engine = await registerHere(username, invite);
    await connect(engine, username);
  };

  // Linking connects by itself: the engine waits, connected, for the other device's bundle.
  const link = async (code: string) => {
    const engine = await linkHere(code);
    // A new device knows none of the account's contacts yet; without them its chats are read-only.
    await engine.client.refreshContacts().catch(() => undefined);
    // The code is used up; a reload should not offer it again.
    if (location.hash) history.replaceState(null, '', location.pathname + location.search);
    setPhase({ kind: 'ready', engine });
  };

  switch (phase.kind) {
    case 'loading':
      return (
        <div className="center-screen" role="status" aria-live="polite">
          <div className="logo" aria-hidden="true">S</div>
          <p>{phase.username ? `Opening Sotto for ${phase.username}…` : 'Opening Sotto…'}</p>
        </div>
      );
    case 'welcome':
      return <Welcome onRegister={register} onLink={link} />;
    case 'update-required':
      return <UpdateRequired message={phase.message} />;
    case 'elsewhere':
      return <OpenElsewhere onUseHere={() => void connect(phase.engine, phase.engine.client.identity.username)} />;
    case 'unreachable':
      return <Unreachable username={phase.username} message={phase.message} onRetry={() => void signIn()} />;
    case 'ready':
      return (
        <EngineContext.Provider value={phase.engine}>
          <Notifier />
          <Home />
        </EngineContext.Provider>
      );
  }
}
