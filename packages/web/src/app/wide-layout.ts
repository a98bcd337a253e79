/**
 * @module app/wide-layout
 * Whether the window is wide enough (1,400 px and more) for three panes, where a group's info
 * opens beside its chat rather than in its place. The width itself is CSS's business (wide-layout.css); this is
 * only for what is rendered at all, so a chat hidden by CSS never marks messages read.
 */
import { useEffect, useState } from 'react';

export const WIDE_QUERY = '(min-width: 1400px)';

export function useWideLayout(): boolean {
  const [wide, setWide] = useState(() => window.matchMedia(WIDE_QUERY).matches);
  useEffect(() => {
    const query = window.matchMedia(WIDE_QUERY);
    const onChange = () => setWide(query.matches);
    query.addEventListener('change', onChange);
    onChange();
    return () => query.removeEventListener('change', onChange);
  }, []);
  return wide;
}
