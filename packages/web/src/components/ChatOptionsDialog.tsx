/**
 * @module components/ChatOptionsDialog
 * How the member keeps one chat: muted (8 hours, a week or always), pinned to the top of the list,
 * archived out of it. The engine keeps the choice in the settings every device of the account
 * shares, so the CLI and the member's other browsers follow (SettingsSync.chats).
 */
import { useState } from 'react';
import type { SottoClient } from '@sotto/core';
import { useAction, useEngine, useLoaded } from '../app/hooks.js';
import { Dialog } from './Dialog.js';

/** The mute choices, as WhatsApp offers them: `undefined` is not muted, -1 is always. */
const MUTE_CHOICES: readonly { readonly label: string; readonly ms: number | undefined }[] = [
  { label: 'Not muted', ms: undefined },
  { label: '8 hours', ms: 8 * 3_600_000 },
  { label: '1 week', ms: 7 * 86_400_000 },
  { label: 'Always', ms: -1 },
];

type Flags = Awaited<ReturnType<SottoClient['chatFlags']>>;

/** "Muted until 14 Dec, 09:30", "Muted", "Not muted". */
export function muteLabel(flags: Pick<Flags, 'muted' | 'mutedUntil'>): string {
  if (!flags.muted) return 'Not muted';
  if (flags.mutedUntil === undefined || flags.mutedUntil === -1) return 'Muted';
  return `Muted until ${new Date(flags.mutedUntil).toLocaleString(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' })}`;
}

export function ChatOptionsDialog({ conversation, onClose }: { conversation: string; onClose: () => void }) {
  const { client } = useEngine();
  const flags = useLoaded(() => client.chatFlags(conversation), [conversation]);
  return flags ? <ChatOptionsForm conversation={conversation} flags={flags} onClose={onClose} /> : null;
}

function ChatOptionsForm({ conversation, flags, onClose }: { conversation: string; flags: Flags; onClose: () => void }) {
  const { client } = useEngine();
  const [run, error, busy] = useAction();
  // -2: keep the mute as it is (a time set elsewhere, "until Thursday", is not one of the choices).
  const [mute, setMute] = useState<number>(flags.muted ? -2 : 0);
  const [pinned, setPinned] = useState(flags.pinned);
  const [archived, setArchived] = useState(flags.archived);

  const save = async () => {
    const choice = MUTE_CHOICES[mute];
    const change = {
      ...(mute === -2 ? {} : { mutedUntil: choice?.ms === undefined ? null : choice.ms === -1 ? -1 : Date.now() + choice.ms }),
      ...(pinned !== flags.pinned ? { pinned } : {}),
      ...(archived !== flags.archived ? { archived } : {}),
    };
    if (Object.keys(change).length === 0) return onClose();
    if (await run(() => client.setChatFlags(conversation, change))) onClose();
  };

  return (
    <Dialog title="Chat options" onClose={onClose}>
      <p className="help">These choices follow you to every device of your account. Nobody in the chat is told.</p>
      <fieldset className="timer-choices" disabled={busy}>
        <legend>Notifications</legend>
        {flags.muted && (
          <label className="check">
            <input type="radio" name="mute" checked={mute === -2} onChange={() => setMute(-2)} />
            {muteLabel(flags)}
          </label>
        )}
        {MUTE_CHOICES.map((choice, index) => (
          // "Not muted" is the choice that unmutes; when already muted, the current mute is listed above it.
          <label key={choice.label} className="check">
            <input type="radio" name="mute" checked={mute === index} onChange={() => setMute(index)} />
            {index === 0 ? (flags.muted ? 'Unmute' : 'Not muted') : `Mute for ${choice.label.toLowerCase()}`.replace('for always', 'always')}
          </label>
        ))}
      </fieldset>
      <fieldset className="timer-choices" disabled={busy}>
        <legend>In the chat list</legend>
        <label className="check">
          <input type="checkbox" checked={pinned} onChange={(e) => setPinned(e.target.checked)} />
          Pin to the top
        </label>
        <label className="check">
          <input type="checkbox" checked={archived} onChange={(e) => setArchived(e.target.checked)} />
          Archive (kept under Archived, out of the list)
        </label>
      </fieldset>
      {error && <p className="error" role="alert">{error}</p>}
      <div className="row end">
        <button type="button" className="secondary" onClick={onClose}>Cancel</button>
        <button type="button" className="primary" onClick={() => void save()} disabled={busy}>Save</button>
      </div>
    </Dialog>
  );
}
