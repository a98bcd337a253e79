/**
 * @module components/AttachmentView
 * A message's file inside its bubble, as `describeAttachment` allows before anything is fetched:
 * a photo's thumbnail (decoded by the sandbox worker, drawn into a canvas), a voice note's play
 * button with its duration and waveform bars (from the descriptor: no audio is decoded), or a file
 * row to save. Nothing is fetched, decoded or played before the member taps, except that
 * auto-download (Settings) may fetch and check a contact's small file into memory.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { describeAttachment, type StoredMessage } from '@sotto/core';
import { useEngine } from '../app/hooks.js';
import { errorText } from '../app/error-text.js';
import { formatBytes, formatDuration } from '../app/format.js';
import { autoDownloadLimit } from '../app/file-settings.js';
import { fetchReceivedFile, isFetched } from '../app/received-files.js';
import { saveToDisk } from '../media/file-ports.js';
import { checkReceivedPreview, THUMBNAIL_MAX_SIDE } from '../media/image-checks.js';
import { decodeInSandbox, ImageRefused } from '../media/image-sandbox.js';
import { FileIcon, PauseIcon, PlayIcon } from './icons.js';
import { ImageViewer } from './ImageViewer.js';

type Described = NonNullable<ReturnType<typeof describeAttachment>>;

function failureText(error: unknown): string {
  return error instanceof ImageRefused ? error.message : errorText(error);
}

export function AttachmentView({ message, fromContact }: { message: StoredMessage; fromContact: boolean }) {
  const described = useMemo(() => {
    try {
      return describeAttachment(message);
    } catch {
      return undefined;
    }
  }, [message.messageId]);
  const { client } = useEngine();
  const [fetched, setFetched] = useState(false);

  useEffect(() => {
    if (!described) return;
    let live = true;
    void isFetched(message.messageId).then((yes) => live && setFetched(yes));
    // Auto-download: a contact's file, small enough, fetched and checked into memory only.
    const limit = autoDownloadLimit();
    if (!message.outgoing && fromContact && limit > 0 && described.size <= limit) {
      fetchReceivedFile(client, message.messageId).then(() => live && setFetched(true), () => undefined);
    }
    return () => { live = false; };
  }, [described, fromContact]);

  if (!described) return <p className="file-note error">This file’s description is malformed, so it cannot be opened.</p>;
  const notes = [...described.nameWarnings];
  if (described.display === 'image') {
    const verdict = checkReceivedPreview(described);
    if (verdict?.ok === false) return <FileRow message={message} described={described} notes={[verdict.reason, ...notes]} fetched={fetched} />;
    return <PhotoTile message={message} described={described} notes={notes} />;
  }
  if (described.display === 'voice-note') return <VoiceNoteRow message={message} described={described} />;
  return <FileRow message={message} described={described} notes={described.reason ? [described.reason, ...notes] : notes} fetched={fetched} />;
}

function Notes({ notes }: { notes: readonly string[] }) {
  return <>{notes.map((note) => <p key={note} className="file-note">{note}</p>)}</>;
}

function FileRow({ message, described, notes, fetched }: { message: StoredMessage; described: Described; notes: readonly string[]; fetched: boolean }) {
  const { client } = useEngine();
  const [state, setState] = useState<{ busy?: boolean; error?: string; saved?: string }>({});
  const save = async () => {
    setState({ busy: true });
    try {
      const file = await fetchReceivedFile(client, message.messageId);
      saveToDisk(file.bytes, file.saved.fileName);
      setState({ saved: file.saved.fileName });
    } catch (error) {
      setState({ error: failureText(error) });
    }
  };
  return (
    <div className="attachment file-row">
      <span className="file-icon"><FileIcon /></span>
      <span className="file-text">
        <span className="file-name" title={described.fileName}>{described.fileName}</span>
        <span className="file-meta">{capitalise(described.typeLabel)} · {formatBytes(described.size)}{fetched ? ' · downloaded' : ''}</span>
      </span>
      <button type="button" className="secondary" onClick={() => void save()} disabled={state.busy} aria-label={`Save ${described.fileName}`}>
        {state.busy ? 'Saving…' : 'Save'}
      </button>
      <Notes notes={notes} />
      {state.saved && <p className="file-note ok" role="status">Saved as {state.saved}.</p>}
      {state.error && <p className="file-note error" role="alert">{state.error}</p>}
    </div>
  );
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The thumbnail, drawn from the sandbox's bitmap; a tap fetches, checks and opens the photo in the viewer. */
function PhotoTile({ message, described, notes }: { message: StoredMessage; described: Described; notes: readonly string[] }) {
  const { client } = useEngine();
  const canvas = useRef<HTMLCanvasElement>(null);
  const [thumb, setThumb] = useState<'none' | 'drawn' | 'failed'>('none');
  const [state, setState] = useState<{ busy?: boolean; error?: string }>({});
  const [viewing, setViewing] = useState<ImageBitmap | undefined>();
  const width = described.width ?? 4;
  const height = described.height ?? 3;

  useEffect(() => {
    const thumbnail = described.thumbnail;
    if (!thumbnail || thumbnail.byteLength === 0) return;
    let live = true;
    decodeInSandbox(thumbnail, 480, THUMBNAIL_MAX_SIDE).then((bitmap) => {
      const target = canvas.current;
      if (!live || !target) return bitmap.close();
      target.width = bitmap.width;
      target.height = bitmap.height;
      target.getContext('bitmaprenderer')?.transferFromImageBitmap(bitmap);
      setThumb('drawn');
    }, () => live && setThumb('failed'));
    return () => { live = false; };
  }, [described]);

  const open = async () => {
    setState({ busy: true });
    try {
      const file = await fetchReceivedFile(client, message.messageId);
      if (file.saved.classification.display !== 'image') {
        throw new ImageRefused(file.saved.classification.reason ?? 'This file is not an image after all; save it as a file instead.');
      }
      setViewing(await decodeInSandbox(file.bytes));
      setState({});
    } catch (error) {
      setState({ error: failureText(error) });
    }
  };

  const save = async () => {
    try {
      const file = await fetchReceivedFile(client, message.messageId);
      saveToDisk(file.bytes, file.saved.fileName);
    } catch (error) {
      setState({ error: failureText(error) });
    }
  };

  return (
    <div className="attachment photo">
      <button type="button" className="photo-tile" onClick={() => void open()} disabled={state.busy} aria-label={`Open photo ${described.fileName}`}
        style={{ aspectRatio: `${width} / ${height}` }}>
        <canvas ref={canvas} className="thumbnail" hidden={thumb !== 'drawn'} aria-hidden="true" />
        {thumb !== 'drawn' && <span className="photo-placeholder">{thumb === 'failed' ? 'No preview' : 'Photo'} · {formatBytes(described.size)}</span>}
        {state.busy && <span className="photo-busy">Opening…</span>}
      </button>
      <Notes notes={notes} />
      {state.error && <p className="file-note error" role="alert">{state.error}</p>}
      {viewing && (
        <ImageViewer bitmap={viewing} name={described.fileName} onSave={() => void save()} onClose={() => {
          viewing.close();
          setViewing(undefined);
        }} />
      )}
    </div>
  );
}

/** Play button, duration and waveform from the descriptor; the audio is fetched and given to an `<audio>` only on tap. */
function VoiceNoteRow({ message, described }: { message: StoredMessage; described: Described }) {
  const { client } = useEngine();
  const audio = useRef<HTMLAudioElement | undefined>(undefined);
  const url = useRef<string | undefined>(undefined);
  const [playing, setPlaying] = useState(false);
  const [state, setState] = useState<{ busy?: boolean; error?: string }>({});
  const duration = formatDuration(Math.round((described.durationMs ?? 0) / 1000));
  const bars = [...(described.waveform ?? [])];

  useEffect(() => () => {
    audio.current?.pause();
    if (url.current) URL.revokeObjectURL(url.current);
  }, []);

  const toggle = async () => {
    if (audio.current) {
      if (audio.current.paused) void audio.current.play();
      else audio.current.pause();
      return;
    }
    setState({ busy: true });
    try {
      const file = await fetchReceivedFile(client, message.messageId);
      if (file.saved.classification.display !== 'voice-note') {
        throw new ImageRefused(file.saved.classification.reason ?? 'This recording is not an Opus voice note after all; it was not played.');
      }
      url.current = URL.createObjectURL(new Blob([file.bytes as BlobPart], { type: 'audio/ogg' }));
      const element = document.createElement('audio');
      element.onplay = () => setPlaying(true);
      element.onpause = () => setPlaying(false);
      element.onended = () => setPlaying(false);
      element.src = url.current;
      audio.current = element;
      setState({});
      await element.play();
    } catch (error) {
      setState({ error: error instanceof DOMException ? 'This voice note could not be played.' : failureText(error) });
    }
  };

  return (
    <div className="attachment voice-note">
      <div className="voice-row">
        <button type="button" className="icon-button play" onClick={() => void toggle()} disabled={state.busy}
          aria-label={playing ? `Pause voice note, ${duration}` : `Play voice note, ${duration}`}>
          {playing ? <PauseIcon /> : <PlayIcon />}
        </button>
        <span className="waveform" aria-hidden="true">
          {bars.map((value, i) => <span key={i} className="bar" style={{ height: `${Math.max(8, Math.round((value / 255) * 100))}%` }} />)}
        </span>
        <span className="voice-duration">{duration}</span>
      </div>
      {state.error && <p className="file-note error" role="alert">{state.error}</p>}
    </div>
  );
}
