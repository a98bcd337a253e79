/**
 * @module components/CallVideo
 * A video call's pictures, under the call bar: the peer's video, and this device's camera small
 * in its corner (mirrored, as in a mirror), with the camera's own controls (off and on, switch
 * between a phone's cameras). None of it exists before the member accepted: the streams come
 * from the call's media session, which is made only then.
 */
import { useEffect, useRef, useState } from 'react';
import { useEngine } from '../app/hooks.js';
import type { CallVideo as CallVideoStreams } from '../platform/browser-call-media.js';

function useCallVideo(): CallVideoStreams {
  const { media } = useEngine();
  const [video, setVideo] = useState<CallVideoStreams>(() => media.video());
  useEffect(() => {
    setVideo(media.video());
    return media.onVideoChange(() => setVideo(media.video()));
  }, [media]);
  return video;
}

export function CallVideo({ peer }: { peer: string }) {
  const video = useCallVideo();
  // A track is not a picture: a peer with no camera still has an (empty) video track, and the
  // browser may unmute it for padding alone. Shown once a frame with a size arrived.
  const [pictured, setPictured] = useState(false);
  useEffect(() => setPictured(false), [video.remote]);
  const showing = video.remote !== undefined && pictured;
  return (
    <div className="call-video" role="group" aria-label={`Video with ${peer}`}>
      {video.remote && <Stream stream={video.remote} className={showing ? 'remote-video' : 'remote-video waiting'} label={`${peer}'s video`} onPicture={setPictured} />}
      {!showing && <p className="no-video">{peer} has no video on</p>}
      {video.local && <Stream stream={video.local} className="local-video" label="Your camera" />}
    </div>
  );
}

/** Camera off/on and switch camera, beside Mute in the call bar. */
export function CameraButtons() {
  const { media } = useEngine();
  return <CameraControls video={useCallVideo()} camera={media} />;
}

/**
 * Camera off/on and, where there are several, switch camera: for a 1:1 call's camera and a group
 * call's alike (`camera` is the call's media). Pressed means the camera is off, as Mute is pressed
 * when the microphone is.
 */
export function CameraControls({ video, camera }: {
  video: { readonly local: MediaStream | undefined; readonly cameras: number };
  camera: { setCameraOn(on: boolean): Promise<void>; switchCamera(): Promise<void> };
}) {
  const [busy, setBusy] = useState(false);
  const on = video.local !== undefined;
  const run = (work: () => Promise<void>) => {
    setBusy(true);
    void work().catch(() => undefined).finally(() => setBusy(false));
  };
  return (
    <>
      <button type="button" className={on ? 'call-mute' : 'call-mute on'} aria-pressed={!on} disabled={busy}
        onClick={() => run(() => camera.setCameraOn(!on))}>{on ? 'Camera off' : 'Camera on'}</button>
      {on && video.cameras > 1 && (
        <button type="button" className="call-mute" disabled={busy} onClick={() => run(() => camera.switchCamera())}>Switch camera</button>
      )}
    </>
  );
}

/** One video stream in a <video>, muted (the sound plays through the call's audio); `onPicture` is told once frames with a size arrive. */
export function Stream({ stream, className, label, onPicture }: { stream: MediaStream; className: string; label: string; onPicture?: (pictured: boolean) => void }) {
  const element = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const target = element.current;
    if (!target) return;
    target.srcObject = stream;
    target.play().catch(() => undefined);
    const sized = () => onPicture?.(target.videoWidth > 0);
    target.addEventListener('resize', sized);
    target.addEventListener('loadeddata', sized);
    return () => {
      target.removeEventListener('resize', sized);
      target.removeEventListener('loadeddata', sized);
      target.srcObject = null;
    };
  }, [stream]);
  // Muted: the peer's sound plays through the call's own audio element, not this one.
  return <video ref={element} className={className} aria-label={label} autoPlay playsInline muted />;
}
