/**
 * @module fuzz/lib/file-name-oracle
 * A second, deliberately naive statement of what `sanitizeFileName` promises (core
 * attachments/file-name.ts), written from its documentation: one loop over UTF-16 code units, no
 * regular expressions. Returns the first broken rule, or undefined.
 */

function removed(codePoint) {
  return codePoint <= 0x1f
    || (codePoint >= 0x7f && codePoint <= 0x9f) // DEL and the C1 controls
    || codePoint === 0x061c || codePoint === 0x200e || codePoint === 0x200f // direction marks
    || (codePoint >= 0x202a && codePoint <= 0x202e) // embeddings and overrides
    || (codePoint >= 0x2066 && codePoint <= 0x2069) // isolates
    || codePoint === 0x200b || codePoint === 0x2060 || codePoint === 0xfeff; // invisible
}

const WINDOWS_FORBIDDEN = '<>:"|?*/\\';
const RESERVED = ['con', 'prn', 'aux', 'nul'];

function reservedStem(name) {
  const dot = name.indexOf('.');
  const stem = (dot === -1 ? name : name.slice(0, dot)).toLowerCase();
  if (RESERVED.includes(stem)) return true;
  return stem.length === 4 && (stem.startsWith('com') || stem.startsWith('lpt')) && '0123456789\u00b9\u00b2\u00b3'.includes(stem[3]);
}

/** @param {string} name @returns {string | undefined} the broken rule */
export function brokenFileNameRule(name) {
  if (typeof name !== 'string' || name.length === 0) return 'a name is never empty';
  let bytes = 0;
  for (let i = 0; i < name.length; i++) {
    const unit = name.charCodeAt(i);
    let codePoint = unit;
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = i + 1 < name.length ? name.charCodeAt(i + 1) : 0;
      if (next < 0xdc00 || next > 0xdfff) return 'no lone surrogate';
      codePoint = 0x10000 + ((unit - 0xd800) << 10) + (next - 0xdc00);
      i++;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return 'no lone surrogate';
    }
    if (removed(codePoint)) return `no control, direction or invisible character (U+${codePoint.toString(16)})`;
    if (WINDOWS_FORBIDDEN.includes(String.fromCodePoint(codePoint))) return 'no path separator or character Windows refuses';
    bytes += codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
  }
  if (bytes > 255) return 'at most 255 bytes of UTF-8';
  if (name[0] === '.' || name[0] === ' ') return 'no leading dot or space';
  if (name.at(-1) === '.' || name.at(-1) === ' ') return 'no trailing dot or space';
  if (name.includes('  ')) return 'no runs of spaces';
  if (reservedStem(name)) return 'no name Windows reserves';
  return undefined;
}
