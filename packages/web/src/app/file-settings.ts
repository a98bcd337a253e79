/**
 * @module app/file-settings
 * "Download files automatically": off, or up to a size. Kept in this browser's local storage for
 * now: core's client settings (`client-settings.ts`) have no field for it yet. Auto-download only
 * fetches and checks a file into memory; it never decodes or plays anything.
 */
const KEY = 'sotto.autoDownloadBytes';
const MB = 1024 * 1024;

export const AUTO_DOWNLOAD_CHOICES: readonly { readonly bytes: number; readonly label: string }[] = [
  { bytes: 0, label: 'Off' },
  { bytes: 1 * MB, label: 'Up to 1 MB' },
  { bytes: 5 * MB, label: 'Up to 5 MB' },
  { bytes: 20 * MB, label: 'Up to 20 MB' },
];

/** The largest file downloaded without a tap, in bytes; 0 when off (the default). */
export function autoDownloadLimit(): number {
  const stored = Number(globalThis.localStorage?.getItem(KEY) ?? '0');
  return AUTO_DOWNLOAD_CHOICES.some((c) => c.bytes === stored) ? stored : 0;
}

export function setAutoDownloadLimit(bytes: number): void {
  if (!AUTO_DOWNLOAD_CHOICES.some((c) => c.bytes === bytes)) throw new RangeError('not one of the choices');
  globalThis.localStorage?.setItem(KEY, String(bytes));
}
