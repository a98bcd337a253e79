/**
 * @module components/Avatar
 * A member's avatar: their picture drawn into a `<canvas>` from the image sandbox's bitmap (the
 * page never decodes avatar bytes, and no `<img>` or blob URL of them exists), or their initials
 * when they have none or it cannot be shown.
 */
import { useEffect, useRef, useState } from 'react';
import { drawAvatar } from '../media/avatar-image.js';
import { initialsOf } from '../app/initials.js';
import './profiles.css';

export interface AvatarProps {
  readonly username: string;
  readonly displayName?: string | undefined;
  readonly avatar?: Uint8Array | undefined;
  /** Shown size in CSS pixels (drawn at twice that, for sharp screens). */
  readonly size?: number;
}

export function Avatar({ username, displayName, avatar, size = 40 }: AvatarProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [drawn, setDrawn] = useState(false);

  useEffect(() => {
    setDrawn(false);
    if (!avatar || avatar.byteLength === 0) return;
    let live = true;
    drawAvatar(avatar, size * 2).then((bitmap) => {
      const target = canvas.current;
      if (!live || !target) return bitmap.close();
      target.width = bitmap.width;
      target.height = bitmap.height;
      target.getContext('bitmaprenderer')?.transferFromImageBitmap(bitmap);
      setDrawn(true);
    }, () => undefined); // An avatar that cannot be shown leaves the initials: nothing of it is shown.
    return () => { live = false; };
  }, [avatar, size]);

  const style = { width: size, height: size, fontSize: Math.round(size * 0.4) };
  const who = displayName || username;
  return (
    <span className="avatar avatar-frame" style={style}>
      <canvas
        ref={canvas}
        className="avatar-picture"
        hidden={!drawn}
        role={drawn ? 'img' : undefined}
        aria-label={drawn ? `Avatar of ${who}` : undefined}
        aria-hidden={drawn ? undefined : true}
      />
      {!drawn && <span aria-hidden="true">{initialsOf(username, displayName)}</span>}
    </span>
  );
}
