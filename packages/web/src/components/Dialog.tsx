/**
 * @module components/Dialog
 * A modal dialog on the browser's own `<dialog>`: it keeps focus inside while open, Escape
 * closes it, and focus goes back to where it was (the button that opened it) after.
 */
import { useEffect, useRef, type ReactNode } from 'react';

export function Dialog({ title, onClose, children, className }: { title: string; onClose: () => void; children: ReactNode; className?: string }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const close = useRef(onClose);
  close.current = onClose;

  useEffect(() => {
    const element = dialog.current;
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : undefined;
    element?.showModal();
    return () => {
      element?.close();
      // The opener may have gone (a deleted message's menu): then focus stays where the page puts it.
      if (before?.isConnected) before.focus();
    };
  }, []);

  return (
    <dialog ref={dialog} className={className ? `dialog ${className}` : 'dialog'} aria-labelledby="dialog-title"
      onCancel={(e) => { e.preventDefault(); close.current(); }}
      onClick={(e) => { if (e.target === dialog.current) close.current(); }}>
      <div className="dialog-body">
        <h2 id="dialog-title">{title}</h2>
        {children}
      </div>
    </dialog>
  );
}
