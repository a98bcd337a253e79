/**
 * @module components/GroupCallVideo
 * A group call's pictures, under its bar: a tile per participant whose video frames open now (the
 * worker says so; a feed carries only the sender whose frame first opened on it, and the tile
 * takes that sender's name), and this device's own camera, mirrored.
 * Nothing here exists before the member joined, and this device's camera opens only on its own
 * "Camera on" (GroupCallCameraButtons).
 */
import { useEffect, useState } from 'react';
import { useEngine } from '../app/hooks.js';
import type { GroupCallVideo as GroupCallVideoStreams } from '../platform/browser-group-call-media.js';
import { CameraControls, Stream } from './CallVideo.js';

function useGroupCallVideo(): GroupCallVideoStreams {
  const { groupMedia } = useEngine();
  const [video, setVideo] = useState<GroupCallVideoStreams>(() => groupMedia.video());
  useEffect(() => {
    setVideo(groupMedia.video());
    return groupMedia.onVideoChange(() => setVideo(groupMedia.video()));
  }, [groupMedia]);
  return video;
}

export function GroupCallVideo() {
  const video = useGroupCallVideo();
  // A track is not a picture: a participant's empty video section may unmute for padding alone.
  const [pictured, setPictured] = useState<ReadonlySet<number>>(new Set());
  // A feed whose picture went (camera off, left) waits for frames with a size again when it comes back.
  useEffect(() => setPictured((before) => {
    const listed = new Set(video.remote.map((r) => r.feed));
    return [...before].every((feed) => listed.has(feed)) ? before : new Set([...before].filter((feed) => listed.has(feed)));
  }), [video.remote]);
  const showing = video.remote.filter((r) => pictured.has(r.feed));
  if (video.remote.length === 0 && !video.local) return null;
  const tiles = showing.length + (video.local ? 1 : 0);
  return (
    <div className={`group-call-video tiles-${Math.min(tiles, 4)}`} role="group" aria-label="Video in the call">
      {video.remote.map((r) => {
        const name = r.member?.user ?? 'A participant';
        const onPicture = (on: boolean) => setPictured((before) => {
          if (before.has(r.feed) === on) return before;
          const next = new Set(before);
          if (on) next.add(r.feed);
          else next.delete(r.feed);
          return next;
        });
        return (
          <figure key={r.feed} className={pictured.has(r.feed) ? 'tile' : 'tile waiting'}>
            <Stream stream={r.stream} className="remote-video" label={`${name}'s video`} onPicture={onPicture} />
            <figcaption>{name}</figcaption>
          </figure>
        );
      })}
      {video.local && (
        <figure className="tile own">
          <Stream stream={video.local} className="local-video" label="Your camera" />
          <figcaption>You</figcaption>
        </figure>
      )}
    </div>
  );
}

/** Camera on/off and switch camera, beside Mute in the group call's bar. */
export function GroupCallCameraButtons() {
  const { groupMedia } = useEngine();
  return <CameraControls video={useGroupCallVideo()} camera={groupMedia} />;
}
