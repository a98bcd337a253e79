/** @module components/PaneHeader: a page's title, with the back button a phone-sized screen needs. */
import type { ReactNode } from 'react';

export interface Back {
  readonly label: string;
  readonly onClick: () => void;
}

export function PaneHeader({ titleId, back, children }: { titleId: string; back?: Back; children: ReactNode }) {
  return (
    <header className="pane-header">
      {back && <button type="button" className="back" onClick={back.onClick} aria-label={back.label}>‹</button>}
      <h2 id={titleId}>{children}</h2>
    </header>
  );
}
