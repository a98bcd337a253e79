/**
 * @module components/ImageViewer
 * A photo, full size, in a dialog: the sandbox's bitmap drawn into a `<canvas>` (the page never
 * holds an `<img>` of received bytes). Escape or Close ends it; focus stays inside while it is
 * open and goes back to the photo's tile after.
 */
import { useEffect, useRef, type KeyboardEvent } from 'react';

export function ImageViewer({ bitmap, name, onSave, onClose }: { bitmap: ImageBitmap; name: string; onSave: () => void; onClose: () => void }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const dialog = useRef<HTMLDivElement>(null);
  const closeButton = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    const target = canvas.current;
    if (!target) return;
    target.width = bitmap.width;
    target.height = bitmap.height;
    target.getContext('2d')?.drawImage(bitmap, 0, 0);
  }, [bitmap]);

  useEffect(() => {
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : undefined;
    closeButton.current?.focus();
    return () => before?.focus();
  }, []);

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      onClose();
      return;
    }
    if (event.key !== 'Tab') return;
    // Focus cycles through the viewer's own buttons.
    const buttons = [...(dialog.current?.querySelectorAll('button') ?? [])];
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    event.preventDefault();
    buttons[(at + (event.shiftKey ? buttons.length - 1 : 1)) % buttons.length]?.focus();
  };

  return (
    <div className="viewer-backdrop" onClick={onClose}>
      <div ref={dialog} className="viewer" role="dialog" aria-modal="true" aria-label={`Photo ${name}`} onKeyDown={onKeyDown} onClick={(e) => e.stopPropagation()}>
        <div className="viewer-bar">
          <span className="viewer-name" title={name}>{name}</span>
          <button type="button" className="secondary" onClick={onSave} aria-label={`Save ${name}`}>Save</button>
          <button ref={closeButton} type="button" className="secondary" onClick={onClose}>Close</button>
        </div>
        <canvas ref={canvas} className="viewer-canvas" role="img" aria-label={name} />
      </div>
    </div>
  );
}
