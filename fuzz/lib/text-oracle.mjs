/**
 * @module fuzz/lib/text-oracle
 * Second, deliberately naive implementations of the protocol's text rules (limits.ts), written
 * from their documentation rather than their code: one loop over UTF-16 code units, no regular
 * expressions. The harnesses compare the two on every input.
 */

function forbidden(codePoint) {
  if (codePoint === 0x09 || codePoint === 0x0a) return false; // tab and newline are text
  return codePoint <= 0x1f
    || (codePoint >= 0x7f && codePoint <= 0x9f) // DEL and the C1 controls
    || (codePoint >= 0x202a && codePoint <= 0x202e) // bidi embeddings and overrides
    || (codePoint >= 0x2066 && codePoint <= 0x2069); // bidi isolates
}

/** At most `maxChars` code points, no lone surrogate, no control or bidi-override character. */
export function plainTextOracle(text, maxChars) {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    let codePoint = unit;
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (next < 0xdc00 || next > 0xdfff) return false;
      codePoint = 0x10000 + ((unit - 0xd800) << 10) + (next - 0xdc00);
      i++;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return false;
    }
    if (forbidden(codePoint)) return false;
    if (++count > maxChars) return false;
  }
  return true;
}

/** 3-32 characters of a-z, 0-9, `_`, `.`, `-`, not starting with `.` or `-`. */
export function usernameOracle(name) {
  if (name.length < 3 || name.length > 32) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    const letterOrDigit = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c === '_';
    if (!letterOrDigit && (i === 0 || (c !== '.' && c !== '-'))) return false;
  }
  return true;
}
