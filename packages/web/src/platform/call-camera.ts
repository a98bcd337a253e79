/**
 * @module platform/call-camera
 * This device's camera in a call (1:1 or group): opened only on the member's own action (accepting
 * a video call, "Camera on"), switched between a phone's cameras, closed so its light goes out.
 * Which transceiver carries it is the call's business; this holds the stream.
 */

/** The camera as a call asks for it: enough for a phone-sized picture, light on the uplink. */
export const CAMERA: MediaTrackConstraints = { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 24 } };

/** Video codecs offered: VP8 and its retransmissions (rtx), all the other side's validator allows. */
const ALLOWED_VIDEO_CODECS = new Set(['video/vp8', 'video/rtx']);

export class CallCamera {
  #stream: MediaStream | undefined;
  #count = 0;
  #index = 0;

  constructor(private readonly constraints: MediaTrackConstraints = CAMERA) {}

  get stream(): MediaStream | undefined {
    return this.#stream;
  }

  get track(): MediaStreamTrack | undefined {
    return this.#stream?.getVideoTracks()[0];
  }

  /** Cameras this device has (a phone's front and back): known once one opened, 0 before. */
  get count(): number {
    return this.#count;
  }

  /**
   * Opens the camera (a given one, or the default). `stillWanted` is asked once the browser
   * granted it: a call that ended meanwhile gets no open camera.
   */
  async open(stillWanted: () => boolean, deviceId?: string): Promise<boolean> {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: false, video: deviceId ? { ...this.constraints, deviceId: { exact: deviceId } } : this.constraints });
    if (!stillWanted()) {
      stream.getTracks().forEach((t) => t.stop());
      return false;
    }
    this.stop();
    this.#stream = stream;
    // Counted once the member let the camera open: before that, listing devices tells nothing.
    const inputs = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput');
    this.#count = inputs.length;
    // Switching starts from the camera that opened, whichever the browser chose.
    const opened = inputs.findIndex((d) => d.deviceId === stream.getVideoTracks()[0]?.getSettings().deviceId);
    if (opened >= 0) this.#index = opened;
    return true;
  }

  /**
   * The next camera, where there is more than one; false when there is nothing to switch to. The
   * current one closes first (a phone opens one at a time): if the next will not open, none is
   * open, and the caller must redraw.
   */
  async switchNext(stillWanted: () => boolean): Promise<boolean> {
    if (!this.#stream) return false;
    const inputs = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput');
    if (inputs.length < 2) return false;
    this.#index = (this.#index + 1) % inputs.length;
    this.stop();
    return this.open(stillWanted, inputs[this.#index]?.deviceId);
  }

  /** Closes the camera: its light goes out. */
  stop(): void {
    this.#stream?.getTracks().forEach((t) => t.stop());
    this.#stream = undefined;
  }
}

/** Offers and answers VP8 (and rtx) only on a video transceiver. */
export function restrictVideoCodecs(transceiver: RTCRtpTransceiver): void {
  const capabilities = RTCRtpReceiver.getCapabilities('video');
  if (!capabilities || typeof transceiver.setCodecPreferences !== 'function') return;
  transceiver.setCodecPreferences(capabilities.codecs.filter((c) => ALLOWED_VIDEO_CODECS.has(c.mimeType.toLowerCase())));
}
