/**
 * @module test/support/browser
 * Debian's Chromium driven by playwright-core, for scenarios against the real web app served
 * by a real `sotto serve`. Every page is instrumented before the app loads: it counts
 * RTCPeerConnection constructions, getUserMedia calls, remote descriptions set and remote
 * candidates added, so tests can prove the consent rules in the browser (nothing before accept).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT } from './paths.js';

export const CHROMIUM = process.env.SOTTO_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = join(REPO_ROOT, 'test-output', 'screenshots');

/** Why browser tests cannot run here, or undefined. Under CI=true a missing browser is a failure, not a skip. */
export function browserSkipReason(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const reason = `SKIPPED LOUDLY: ${CHROMIUM} not found (apt-get install -y chromium); the web app's browser tests did not run`;
  if (process.env.CI === 'true') throw new Error(`CI=true but ${reason}`);
  console.error(reason);
  return reason;
}

const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
];

/** One Chromium; `fakeAudio` is a WAV file every context of it uses as its microphone. */
export function launchBrowser(options: { fakeAudio?: string } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...FLAGS, ...(options.fakeAudio ? [`--use-file-for-fake-audio-capture=${options.fakeAudio}`] : [])],
  });
}

export interface RtcCounters {
  readonly peerConnections: number;
  readonly getUserMedia: number;
  readonly remoteDescriptions: number;
  readonly remoteCandidates: number;
}

export interface AudioStats {
  readonly packetsSent: number;
  readonly packetsReceived: number;
  readonly totalAudioEnergy: number;
}

/** Installed before any of the app's scripts: wraps the RTC entry points to count their use. */
function instrument(): void {
  const w = window as unknown as { __rtc: { peerConnections: number; getUserMedia: number; cameraRequests: number; remoteDescriptions: number; remoteCandidates: number; instances: RTCPeerConnection[] } };
  w.__rtc = { peerConnections: 0, getUserMedia: 0, cameraRequests: 0, remoteDescriptions: 0, remoteCandidates: 0, instances: [] };
  const Native = window.RTCPeerConnection;
  if (!Native) return;
  const counted = function (this: unknown, ...args: ConstructorParameters<typeof RTCPeerConnection>) {
    const pc = new Native(...args);
    w.__rtc.peerConnections += 1;
    w.__rtc.instances.push(pc);
    return pc;
  } as unknown as typeof RTCPeerConnection;
  counted.prototype = Native.prototype;
  Object.assign(counted, { generateCertificate: Native.generateCertificate.bind(Native) });
  window.RTCPeerConnection = counted;
  const setRemote = Native.prototype.setRemoteDescription;
  Native.prototype.setRemoteDescription = function (this: RTCPeerConnection, ...args: Parameters<typeof setRemote>) {
    w.__rtc.remoteDescriptions += 1;
    return setRemote.apply(this, args);
  } as typeof setRemote;
  const addCandidate = Native.prototype.addIceCandidate;
  Native.prototype.addIceCandidate = function (this: RTCPeerConnection, ...args: Parameters<typeof addCandidate>) {
    w.__rtc.remoteCandidates += 1;
    return addCandidate.apply(this, args);
  } as typeof addCandidate;
  const devices = navigator.mediaDevices;
  if (!devices) return; // an error page (server down) is not a secure context
  const getUserMedia = devices.getUserMedia.bind(devices);
  devices.getUserMedia = (constraints) => {
    w.__rtc.getUserMedia += 1;
    if (constraints?.video) w.__rtc.cameraRequests += 1;
    return getUserMedia(constraints);
  };
}

export class BrowserMember {
  private constructor(
    readonly name: string,
    readonly context: BrowserContext,
    readonly page: Page,
  ) {}

  static async open(browser: Browser, name: string, baseUrl: string, viewport = { width: 1100, height: 760 }): Promise<BrowserMember> {
    const context = await browser.newContext({ viewport, permissions: ['microphone', 'camera'] });
    await context.addInitScript(instrument);
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error(`[${name}] page error: ${error.message}`));
    await page.goto(baseUrl);
    return new BrowserMember(name, context, page);
  }

  rtc(): Promise<RtcCounters> {
    return this.page.evaluate(() => {
      const { peerConnections, getUserMedia, remoteDescriptions, remoteCandidates } = (window as unknown as { __rtc: RtcCounters }).__rtc;
      return { peerConnections, getUserMedia, remoteDescriptions, remoteCandidates };
    });
  }

  /** How many times the page asked for a camera (getUserMedia with video). */
  cameraRequests(): Promise<number> {
    return this.page.evaluate(() => (window as unknown as { __rtc: { cameraRequests: number } }).__rtc.cameraRequests);
  }

  /** Video frames the newest peer connection decoded and sent, from getStats(). */
  videoStats(): Promise<{ framesDecoded: number; framesSent: number; codec: string | undefined }> {
    return this.page.evaluate(async () => {
      const pcs = (window as unknown as { __rtc: { instances: RTCPeerConnection[] } }).__rtc.instances;
      const pc = pcs[pcs.length - 1];
      const out = { framesDecoded: 0, framesSent: 0, codec: undefined as string | undefined };
      if (!pc) return out;
      const report = await pc.getStats();
      report.forEach((s: Record<string, unknown>) => {
        if (s['kind'] !== 'video') return;
        if (s['type'] === 'inbound-rtp') {
          out.framesDecoded += Number(s['framesDecoded'] ?? 0);
          const codec = report.get(String(s['codecId'])) as Record<string, unknown> | undefined;
          if (typeof codec?.['mimeType'] === 'string') out.codec = codec['mimeType'];
        }
        if (s['type'] === 'outbound-rtp') out.framesSent += Number(s['framesSent'] ?? 0);
      });
      return out;
    });
  }

  /** Audio counters of the newest peer connection, from getStats(). */
  audioStats(): Promise<AudioStats> {
    return this.page.evaluate(async () => {
      const pcs = (window as unknown as { __rtc: { instances: RTCPeerConnection[] } }).__rtc.instances;
      const pc = pcs[pcs.length - 1];
      const out = { packetsSent: 0, packetsReceived: 0, totalAudioEnergy: 0 };
      if (!pc) return out;
      (await pc.getStats()).forEach((s: Record<string, unknown>) => {
        if (s['kind'] !== 'audio') return;
        if (s['type'] === 'outbound-rtp') out.packetsSent += Number(s['packetsSent'] ?? 0);
        if (s['type'] === 'inbound-rtp') {
          out.packetsReceived += Number(s['packetsReceived'] ?? 0);
          out.totalAudioEnergy += Number(s['totalAudioEnergy'] ?? 0);
        }
      });
      return out;
    });
  }

  async screenshot(name: string): Promise<void> {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await this.page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}

/** Polls `check` until it returns a value (not undefined) or the time is up. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
}
