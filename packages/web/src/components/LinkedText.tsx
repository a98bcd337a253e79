/**
 * @module components/LinkedText
 * A message's text with its http(s) addresses as links that open in a new tab with no referrer
 * and no access back to this page. Nothing else becomes markup: every other character is text.
 */
import { Fragment, useMemo } from 'react';
import { linkify } from '../app/linkify.js';

export function LinkedText({ text }: { text: string }) {
  const parts = useMemo(() => linkify(text), [text]);
  return (
    <>
      {parts.map((part, i) =>
        part.kind === 'link' ? (
          <a key={i} href={part.href} target="_blank" rel="noopener noreferrer">{part.text}</a>
        ) : (
          <Fragment key={i}>{part.text}</Fragment>
        ),
      )}
    </>
  );
}
