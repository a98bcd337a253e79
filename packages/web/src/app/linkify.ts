/**
 * @module app/linkify
 * A text's web addresses as parts the chat renders as links: http and https only, nothing else
 * becomes markup (the rest stays text, escaped by React), and nothing is fetched for a preview.
 */

export type TextPart = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'link'; readonly text: string; readonly href: string };

/** A candidate address: a scheme, then anything up to a space or a character that cannot end one. */
const CANDIDATE = /\bhttps?:\/\/[^\s<>"'`]+/gi;
/** Punctuation that ends a sentence rather than the address ("see https://x.org."). */
const TRAILING = '.,;:!?\'")]}*_~';
const OPENER: Readonly<Record<string, string>> = { ')': '(', ']': '[', '}': '{' };

/**
 * Drops trailing punctuation, but keeps a closing bracket the address itself opened
 * ("https://en.wikipedia.org/wiki/X_(Y)"), so "(https://x.org/a)" links to /a.
 */
function trim(candidate: string): string {
  let text = candidate;
  while (text.length > 0 && TRAILING.includes(text.at(-1)!)) {
    const last = text.at(-1)!;
    const opener = OPENER[last];
    if (opener !== undefined && count(text, opener) >= count(text, last)) break;
    text = text.slice(0, -1);
  }
  return text;
}

function count(text: string, char: string): number {
  return text.split(char).length - 1;
}

/** The address `text` names, or undefined when it is not an http(s) URL with a host. */
export function safeHref(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '' || url.username !== '' || url.password !== '') return undefined;
  return url.href;
}

export function linkify(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let at = 0;
  for (const match of text.matchAll(CANDIDATE)) {
    const start = match.index;
    const address = trim(match[0]);
    const href = safeHref(address);
    if (href === undefined || address.length <= match[0].indexOf('//') + 2) continue;
    if (start > at) parts.push({ kind: 'text', text: text.slice(at, start) });
    parts.push({ kind: 'link', text: address, href });
    at = start + address.length;
  }
  if (at < text.length) parts.push({ kind: 'text', text: text.slice(at) });
  return parts;
}
