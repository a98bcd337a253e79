/**
 * @module components/Composer
 * The bottom of a chat: text, a file (attach button, or one dropped or pasted onto the chat: a
 * preview row with its name, size and a caption before it goes), and a voice note (recorded only
 * after the member presses the microphone button). Photos are re-encoded before sending, and the
 * preview says so; "Send as file (original)" keeps a photo's bytes as they are. A reply shows
 * the quoted message above the text, an edit puts the message's text in the box (each with a
 * Cancel); the box grows with its text, and past the 4,000-character limit it says by how much
 * and Send waits.
 */
import { useEffect, useLayoutEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { LIMITS } from '@sotto/protocol';
import { MessageKeptError, type StoredMessage } from '@sotto/core';
import { useAction, useEngine } from '../app/hooks.js';
import { useTypingSender } from '../app/typing.js';
import { sendToChat } from '../app/chat-actions.js';
import { sendPickedFile, sendVoiceNote, type PickedFile } from '../app/send-file.js';
import { errorText } from '../app/error-text.js';
import { formatBytes, formatDuration } from '../app/format.js';
import { quoteOf } from '../app/message-view.js';
import type { ChatRef } from '../app/view.js';
import { ImageRefused } from '../media/image-sandbox.js';
import { VoiceRecorder, voiceNotesSupported } from '../media/voice-recorder.js';
import { MicIcon, PaperclipIcon } from './icons.js';

function sendErrorText(error: unknown): string {
  return error instanceof ImageRefused ? `${error.message} You can send it as a file (original) instead.` : errorText(error);
}

interface Sending {
  readonly id: number;
  readonly name: string;
  readonly progress: number;
}
let sendIds = 0;

/** What the text box is for besides a new message: answering one, or changing one of the member's own. */
export type ComposeMode = { readonly kind: 'reply' | 'edit'; readonly message: StoredMessage };

/** From this many characters on, the box shows the count (the limit is near). */
const SHOW_COUNT_FROM = LIMITS.textMaxChars - 500;

/** Whether this browser can record voice notes: asked once per page. */
let voiceSupport: Promise<boolean> | undefined;

export function Composer({ chat, canWrite, picked, onPick, mode, onEndMode }: {
  chat: ChatRef;
  canWrite: boolean;
  picked: PickedFile | undefined;
  onPick: (file: File | undefined) => void;
  mode: ComposeMode | undefined;
  onEndMode: () => void;
}) {
  const { client } = useEngine();
  const [draft, setDraft] = useState('');
  const typed = useTypingSender(chat, canWrite);
  const textarea = useRef<HTMLTextAreaElement>(null);
  /** The new message the member was writing when they started an edit: back in the box after it. */
  const draftBeforeEdit = useRef<string | undefined>(undefined);
  const length = [...draft.trim()].length;
  const tooLong = length > LIMITS.textMaxChars;
  const [run, error] = useAction();
  const [caption, setCaption] = useState('');
  const [asFile, setAsFile] = useState(false);
  /** Files on their way (the preview is free for the next one at once). */
  const [sending, setSending] = useState<readonly Sending[]>([]);
  const [fileError, setFileError] = useState<string | undefined>();
  const [voice, setVoice] = useState<boolean | undefined>();
  const [recorder, setRecorder] = useState<VoiceRecorder | undefined>();
  const [recordedMs, setRecordedMs] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const captionInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    voiceSupport ??= voiceNotesSupported();
    void voiceSupport.then(setVoice);
  }, []);
  useEffect(() => {
    setCaption('');
    setAsFile(false);
    setFileError(undefined);
    if (picked) captionInput.current?.focus();
  }, [picked]);
  useEffect(() => {
    if (!recorder) return;
    const timer = setInterval(() => setRecordedMs(recorder.recordedMs), 250);
    return () => clearInterval(timer);
  }, [recorder]);
  // Leaving the chat while recording keeps nothing and frees the microphone.
  const recording = useRef<VoiceRecorder | undefined>(undefined);
  recording.current = recorder;
  useEffect(() => () => void recording.current?.cancel(), []);

  useEffect(() => {
    if (mode?.kind === 'edit') {
      draftBeforeEdit.current ??= draft;
      setDraft(mode.message.body);
    } else if (draftBeforeEdit.current !== undefined) {
      setDraft(draftBeforeEdit.current);
      draftBeforeEdit.current = undefined;
    }
    if (mode) textarea.current?.focus();
  }, [mode]);

  // The box grows with its text up to its CSS max-height, then scrolls.
  useLayoutEffect(() => {
    const box = textarea.current;
    if (!box) return;
    box.style.height = 'auto';
    box.style.height = `${box.scrollHeight + box.offsetHeight - box.clientHeight}px`;
  }, [draft]);

  const send = async (event?: FormEvent) => {
    event?.preventDefault();
    const text = draft.trim();
    if (!text || tooLong) return;
    if (mode?.kind === 'edit') {
      const { message } = mode;
      if (text === message.body) return onEndMode();
      if (await run(() => client.messages.edit(message.groupId, message.messageId, text))) onEndMode();
      return;
    }
    const replyTo = mode?.kind === 'reply' ? mode.message : undefined;
    if (replyTo) onEndMode();
    // Cleared at once: the engine stores the message before it goes out (and keeps it through a
    // connection loss), so the bubble appears as "sending" while we wait for the server.
    setDraft('');
    let kept = false;
    const ok = await run(() =>
      (replyTo ? client.messages.reply(replyTo.groupId, replyTo.messageId, text) : sendToChat(client, chat, text)).catch((e: unknown) => {
        kept = e instanceof MessageKeptError;
        throw e;
      }),
    );
    // A message the engine kept in its outbox goes out by itself: offering it again would send a copy.
    if (!ok && !kept) setDraft((current) => current || text);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void send();
    } else if (event.key === 'Escape' && mode) {
      event.preventDefault();
      onEndMode();
    }
  };

  /** Runs one send with its row of progress; errors are said with the file's name. */
  const track = async (name: string, act: (onProgress: (fraction: number) => void) => Promise<readonly string[]>) => {
    const id = ++sendIds;
    setFileError(undefined);
    setSending((list) => [...list, { id, name, progress: 0 }]);
    const onProgress = (fraction: number) => setSending((list) => list.map((x) => (x.id === id ? { ...x, progress: Math.min(1, fraction) } : x)));
    try {
      const warnings = await act(onProgress);
      if (warnings.length > 0) setFileError(warnings.join(' '));
    } catch (e) {
      setFileError(`${name} was not sent. ${sendErrorText(e)}`);
    } finally {
      setSending((list) => list.filter((x) => x.id !== id));
    }
  };

  const sendFile = () => {
    if (!picked) return;
    const choice = { caption, asFile };
    onPick(undefined);
    void track(picked.name, async (onProgress) => (await sendPickedFile(client, chat, picked, { ...choice, onProgress })).nameWarnings);
  };

  const startRecording = async () => {
    setFileError(undefined);
    try {
      setRecordedMs(0);
      setRecorder(await VoiceRecorder.start());
    } catch {
      setFileError('The microphone could not be opened. Check that this site may use it, then try again.');
    }
  };

  const stopRecording = async (keep: boolean) => {
    const current = recorder;
    if (!current) return;
    setRecorder(undefined);
    if (!keep) return void current.cancel();
    let note;
    try {
      note = await current.stop();
    } catch {
      setFileError('The voice note could not be recorded. Try again.');
      return;
    }
    await track('The voice note', async () => (await sendVoiceNote(client, chat, note)).nameWarnings);
  };

  return (
    <div className="composer-area">
      {picked && (
        <div className="file-preview" role="group" aria-label="File to send">
          <div className="file-preview-head">
            <span className="file-name" title={picked.name}>{picked.name}</span>
            <span className="file-meta">{formatBytes(picked.blob.size)}</span>
          </div>
          {picked.photo && (
            <>
              <p className="help">{asFile ? 'The photo goes as it is, as a file: any location and camera details in it go too.' : 'Photos are re-encoded before sending: location and camera details are removed.'}</p>
              <label className="check"><input type="checkbox" checked={asFile} onChange={(e) => setAsFile(e.target.checked)} /> Send as file (original)</label>
            </>
          )}
          <label htmlFor="file-caption" className="visually-hidden">Caption</label>
          <input id="file-caption" ref={captionInput} value={caption} onChange={(e) => setCaption(e.target.value)} placeholder="Add a caption (optional)"
            maxLength={LIMITS.attachmentCaptionMaxChars}
            onKeyDown={(e) => { if (e.key === 'Enter') { e.preventDefault(); sendFile(); } if (e.key === 'Escape') onPick(undefined); }} />
          <div className="row end">
            <button type="button" className="secondary" onClick={() => onPick(undefined)}>Cancel</button>
            <button type="button" className="primary" onClick={sendFile} disabled={!canWrite}>Send file</button>
          </div>
        </div>
      )}
      {sending.map((x) => (
        <div key={x.id} className="file-sending" role="status">
          <span className="file-name">{x.name === 'The voice note' ? 'Sending the voice note' : `Sending ${x.name}`}</span>
          <progress max={1} value={x.progress} aria-label={`Sending ${x.name}`} />
          <span className="file-meta">{Math.round(x.progress * 100)}%</span>
        </div>
      ))}
      {fileError && <p className="error pad" role="alert">{fileError}</p>}
      {recorder ? (
        <div className="composer recording" role="group" aria-label="Recording a voice note">
          <span className="rec-dot" aria-hidden="true" />
          <span className="grow" role="timer" aria-live="off">Recording {formatDuration(recordedMs / 1000)}</span>
          <button type="button" className="secondary" onClick={() => void stopRecording(false)}>Cancel</button>
          <button type="button" className="primary" onClick={() => void stopRecording(true)}>Stop and send</button>
        </div>
      ) : (
        <>
        {mode && (
          <div className={`compose-mode ${mode.kind}`} role="group" aria-label={mode.kind === 'reply' ? 'Replying' : 'Editing a message'}>
            <div className="compose-mode-text">
              <span className="quote-sender">{mode.kind === 'reply' ? `Replying to ${quoteOf(mode.message).sender === 'You' ? 'yourself' : quoteOf(mode.message).sender}` : 'Editing message'}</span>
              <span className="quote-text">{quoteOf(mode.message).text}</span>
            </div>
            <button type="button" className="secondary" onClick={onEndMode} aria-label={mode.kind === 'reply' ? 'Cancel reply' : 'Cancel edit'}>Cancel</button>
          </div>
        )}
        <form className="composer" onSubmit={(e) => void send(e)}>
          <input ref={input} type="file" hidden onChange={(e) => { onPick(e.target.files?.[0]); e.target.value = ''; }} />
          <button type="button" className="icon-button" onClick={() => input.current?.click()} disabled={!canWrite} aria-label="Attach a file" title="Attach a file"><PaperclipIcon /></button>
          <label htmlFor="composer" className="visually-hidden">Message</label>
          <textarea
            id="composer" ref={textarea} rows={1} value={draft} onChange={(e) => {
              setDraft(e.target.value);
              // Editing a sent message is not typing a new one.
              if (mode?.kind !== 'edit') typed(e.target.value);
            }} onKeyDown={onKeyDown}
            placeholder={canWrite ? 'Message' : 'You cannot write here'} disabled={!canWrite}
            aria-invalid={tooLong} aria-describedby={length >= SHOW_COUNT_FROM ? 'composer-count' : undefined}
          />
          {voice && (
            <button type="button" className="icon-button" onClick={() => void startRecording()} disabled={!canWrite} aria-label="Record a voice note" title="Record a voice note"><MicIcon /></button>
          )}
          <button type="submit" className="primary" disabled={!canWrite || length === 0 || tooLong}>{mode?.kind === 'edit' ? 'Save' : 'Send'}</button>
        </form>
        {length >= SHOW_COUNT_FROM && (
          <p id="composer-count" className={tooLong ? 'composer-count error' : 'composer-count help'} aria-live="polite">
            {tooLong
              ? `Too long to send: ${(length - LIMITS.textMaxChars).toLocaleString('en')} over the ${LIMITS.textMaxChars.toLocaleString('en')}-character limit (${length.toLocaleString('en')} / ${LIMITS.textMaxChars.toLocaleString('en')}).`
              : `${length.toLocaleString('en')} / ${LIMITS.textMaxChars.toLocaleString('en')} characters`}
          </p>
        )}
        </>
      )}
      {voice === false && canWrite && <p className="help pad">Voice notes need a browser that can record Opus audio (WebCodecs); this one cannot.</p>}
      {error && <p className="error pad" role="alert">{error}</p>}
    </div>
  );
}
