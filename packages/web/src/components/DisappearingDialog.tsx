/**
 * @module components/DisappearingDialog
 * A chat's disappearing messages: off, 1 hour, 1 day, 1 week or 90 days (a timer another
 * device set to something else, say 1 minute from the CLI, is listed too). Saving applies it for
 * every member and device; the engine writes the notice into the chat.
 */
import { useState } from 'react';
import { describeTimer } from '@sotto/core';
import { useAction } from '../app/hooks.js';
import { Dialog } from './Dialog.js';

export const TIMER_CHOICES: readonly number[] = [0, 3_600, 86_400, 604_800, 7_776_000];

/** "Off", "1 hour", "1 week" (as the choices read), "5 minutes". */
export function timerLabel(seconds: number): string {
  if (seconds === 0) return 'Off';
  return seconds === 604_800 ? '1 week' : describeTimer(seconds);
}

export function DisappearingDialog({ current, apply, onClose }: { current: number; apply: (seconds: number) => Promise<void>; onClose: () => void }) {
  const [run, error, busy] = useAction();
  const choices = TIMER_CHOICES.includes(current) ? TIMER_CHOICES : [...TIMER_CHOICES, current].sort((a, b) => a - b);

  const [chosen, setChosen] = useState(current);

  const save = async () => {
    if (chosen === current) return onClose();
    if (await run(() => apply(chosen))) onClose();
  };

  return (
    <Dialog title="Disappearing messages" onClose={onClose}>
      <p className="help">New messages in this chat disappear from every device this long after they arrive. Anyone in the chat can change this.</p>
      <fieldset className="timer-choices" disabled={busy}>
        <legend className="visually-hidden">Disappearing messages</legend>
        {choices.map((seconds) => (
          <label key={seconds} className="check">
            <input type="radio" name="timer" checked={seconds === chosen} onChange={() => setChosen(seconds)} />
            {timerLabel(seconds)}
          </label>
        ))}
      </fieldset>
      {error && <p className="error" role="alert">{error}</p>}
      <div className="row end">
        <button type="button" className="secondary" onClick={onClose}>Cancel</button>
        <button type="button" className="primary" onClick={() => void save()} disabled={busy}>Save</button>
      </div>
    </Dialog>
  );
}
