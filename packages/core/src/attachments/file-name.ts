/**
 * @module attachments/file-name
 * Makes a sender's file name safe to show and to save under: no directory part, no control or
 * direction-changing characters, no name Windows reserves, at most 255 bytes of UTF-8, and an
 * ending that says what the bytes are. Run by the sender before sending and by the receiver again
 * (with the type it sniffed itself), since the sender may be anyone.
 */
import { allowedMediaType, mediaTypeForExtension } from './media-types.js';

export const FILE_NAME_MAX_BYTES = 255;
const FALLBACK_NAME = 'file';
/** What an unrecognised file gets when its name claims a type it is not, or hides an executable. */
const UNKNOWN_EXTENSION = 'bin';

export interface SanitizedFileName {
  readonly name: string;
  /** Sentences for the member about what was changed and why (none for cosmetic clean-up). */
  readonly warnings: readonly string[];
}

/** Whitespace-like controls become a space before the other controls go. */
const WHITESPACE_CONTROLS = /[\t\n\v\f\r\u0085\u2028\u2029]/gu;
/**
 * Removed outright: C0 and C1 controls and DEL; direction marks, embeddings, overrides and
 * isolates (U+200E/F, U+061C, U+202A-202E, U+2066-2069), which can make "exe.pdf" show for
 * "fdp.exe"; and invisible characters that make two names look alike (zero-width space, word
 * joiner, BOM). ZWJ and ZWNJ stay: scripts and emoji need them.
 */
const REMOVED = /[\u0000-\u001F\u007F-\u009F\u061C\u200B\u200E\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]/gu;
/** Characters Windows refuses in a name (and path separators everywhere). */
const WINDOWS_FORBIDDEN = /[<>:"|?*]/gu;
const PATH_SEPARATOR = /[/\\]/u;
/** CON, PRN, AUX, NUL, COM0-9, LPT0-9 (and the superscript digits Windows also reserves), with or without an extension. */
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9\u00B9\u00B2\u00B3]|lpt[0-9\u00B9\u00B2\u00B3])(\.|$)/iu;
/** An extension is a short run of letters and digits after the last dot. */
const EXTENSION = /\.([\p{L}\p{N}]{1,16})$/u;
/** Endings a system may run when the file is opened; hidden behind a document's ending they deceive. */
const EXECUTABLE_EXTENSIONS = new Set([
  'exe', 'com', 'scr', 'pif', 'bat', 'cmd', 'msi', 'msp', 'vbs', 'vbe', 'js', 'jse', 'wsf', 'wsh', 'hta', 'cpl', 'jar',
  'ps1', 'psm1', 'lnk', 'reg', 'app', 'dmg', 'pkg', 'sh', 'command', 'apk', 'appimage', 'deb', 'rpm', 'url', 'desktop',
]);
/** Endings people read as harmless documents or media. */
const DOCUMENT_EXTENSIONS = new Set([
  'pdf', 'doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'odt', 'ods', 'odp', 'rtf', 'txt', 'csv', 'jpg', 'jpeg', 'png', 'gif',
  'webp', 'heic', 'bmp', 'tif', 'tiff', 'mp3', 'mp4', 'm4a', 'mov', 'avi', 'wav', 'ogg', 'opus', 'zip', 'html', 'htm',
]);

const utf8 = new TextEncoder();
const byteLength = (text: string) => utf8.encode(text).byteLength;

function extensionOf(name: string): string | undefined {
  const match = EXTENSION.exec(name);
  if (match === null || match.index === 0) return undefined;
  return match[1]!.toLowerCase();
}

/** The last path component, with everything that should never be in a name removed. */
function cleanText(raw: string): string {
  // Normalised after the removals, which can bring a letter and its accent together.
  let name = raw.toWellFormed().replace(WHITESPACE_CONTROLS, ' ').replace(REMOVED, '').normalize('NFC');
  const parts = name.split(PATH_SEPARATOR).map((part) => part.trim()).filter((part) => part !== '' && part !== '.' && part !== '..');
  name = parts.at(-1) ?? '';
  name = name.replace(WINDOWS_FORBIDDEN, '_').replace(/\s+/gu, ' ');
  return trimEnds(name);
}

/** Leading dots (hidden files) and spaces; trailing dots and spaces (Windows drops them, changing the ending). */
function trimEnds(name: string): string {
  return name.replace(/^[\s.]+/u, '').replace(/[\s.]+$/u, '');
}

/** Cuts the stem (by code points) so stem + ending fit in `FILE_NAME_MAX_BYTES`, keeping the ending. */
function bound(name: string): string {
  if (byteLength(name) <= FILE_NAME_MAX_BYTES) return name;
  const ext = extensionOf(name);
  const suffix = ext === undefined ? '' : name.slice(name.length - ext.length - 1);
  let stem = '';
  let stemBytes = 0;
  const budget = FILE_NAME_MAX_BYTES - byteLength(suffix);
  for (const char of name.slice(0, name.length - suffix.length)) {
    const size = byteLength(char);
    if (stemBytes + size > budget) break;
    stem += char;
    stemBytes += size;
  }
  stem = stem.replace(/[\s.]+$/u, '');
  return (stem === '' ? FALLBACK_NAME : stem) + suffix;
}

/**
 * A safe name for a file whose bytes were sniffed as `sniffedMediaType` (a listed type, or
 * anything else, which counts as unrecognised). When the name's ending disagrees with the bytes,
 * or a document's ending hides an executable one ("invoice.pdf.exe"), the true ending is added
 * and a warning says so: what is saved is what it is.
 */
export function sanitizeFileName(raw: string, sniffedMediaType: string): SanitizedFileName {
  const warnings: string[] = [];
  let name = cleanText(typeof raw === 'string' ? raw : '');
  if (WINDOWS_RESERVED.test(name)) name = `_${name}`;
  if (name === '') name = FALLBACK_NAME;
  // Bounded before the ending is judged: cutting a long name can bring an ending to its end.
  name = bound(name);

  const listed = allowedMediaType(sniffedMediaType);
  const ext = extensionOf(name);
  let add: string | undefined;
  if (listed !== undefined) {
    if (ext !== undefined && !listed.extensions.includes(ext)) {
      add = listed.extensions[0]!;
      warnings.push(`The name ended in .${ext} but the file is ${listed.label}, so .${add} was added.`);
    } else if (ext === undefined) {
      add = listed.extensions[0]!; // a helpful ending, nothing to warn about
    }
  } else {
    const claimed = ext === undefined ? undefined : mediaTypeForExtension(ext);
    const inner = extensionOf(name.slice(0, name.length - (ext?.length ?? 0) - 1).trimEnd());
    if (claimed !== undefined) {
      add = UNKNOWN_EXTENSION;
      warnings.push(`The name ended in .${ext}, as ${claimed.label} would, but the file is not one, so .${add} was added.`);
    } else if (ext !== undefined && inner !== undefined && EXECUTABLE_EXTENSIONS.has(ext) && DOCUMENT_EXTENSIONS.has(inner)) {
      add = UNKNOWN_EXTENSION;
      warnings.push(`The name looks like a .${inner} but ends in .${ext}, a program; .${add} was added so it is not run by mistake.`);
    }
  }
  if (add !== undefined) name = bound(`${name}.${add}`);
  return { name, warnings };
}
