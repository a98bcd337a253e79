/** @module app/format: how times, durations, statuses and call outcomes read on screen. */
import type { MessageStatus, StoredCallLogEntry } from '@sotto/core';

export function formatTime(ms: number): string {
  const date = new Date(ms);
  const today = new Date();
  return date.toDateString() === today.toDateString()
    ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleDateString([], { month: 'short', day: 'numeric' }) + ' ' + date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** 0:07, 12:30, 1:02:03 */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = String(s % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

export const STATUS_LABEL: Record<MessageStatus, string> = {
  pending: 'Sending',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
};

export const STATUS_MARK: Record<MessageStatus, string> = { pending: '◷', sent: '✓', delivered: '✓✓', read: '✓✓' };

export function describeCall(entry: StoredCallLogEntry): string {
  const incoming = entry.direction === 'incoming';
  switch (entry.outcome) {
    case 'answered': return `${incoming ? 'Incoming' : 'Outgoing'} call, ${formatDuration(entry.durationMs / 1000)}`;
    case 'answered-elsewhere': return 'Answered on another device';
    case 'missed': return incoming ? 'Missed call' : 'No answer';
    case 'declined': return incoming ? 'Declined' : 'Declined by them';
    case 'missed-request': return incoming ? 'Missed call request (not a contact)' : 'Call request sent';
    case 'busy': return 'Busy';
    case 'failed': return 'Call failed';
  }
}

/** Groups a 60-digit safety number into twelve blocks of five, as people compare it aloud. */
export function safetyNumberBlocks(digits: string): string[] {
  return digits.match(/.{1,5}/g) ?? [];
}

/** 980 bytes, 12 KB, 3.4 MB (decimal, as file managers show them). */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} byte${bytes === 1 ? '' : 's'}`;
  if (bytes < 1_000_000) return `${Math.round(bytes / 1000)} KB`;
  if (bytes < 1_000_000_000) return `${(bytes / 1_000_000).toFixed(1)} MB`;
  return `${(bytes / 1_000_000_000).toFixed(1)} GB`;
}

/** How long until a disappearing message goes, in the largest unit that fits: "45 s", "12 min", "23 h", "6 d". */
export function formatRemaining(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h`;
  return `${Math.floor(seconds / 86_400)} d`;
}
