/**
 * @module anomaly-reporter
 * Tells the server what this device dropped, so attacks are noticed across members: by sender
 * account and device, kind and count, never content or reason text. Lines are summed in memory
 * and sent a few seconds after the first, at most 32 to a frame; a failed send keeps them for the
 * next connection. Bounded: past MAX_PENDING distinct lines, new senders are counted only locally.
 */
import { AnomalyKind, AnomalyReportSchema, create, FrameType, LIMITS, ReportAnomaliesSchema } from '@sotto/protocol';
import { ClientError, RemoteError } from './errors.js';
import type { Clock, Logger } from './ports.js';
import type { Session } from './session.js';

export const REPORT_DELAY_MS = 2_000;
const MAX_PENDING = 256;

export interface AnomalySource {
  readonly user: string;
  /** '' when the input named no device. */
  readonly device: string;
}

interface PendingLine {
  readonly source: AnomalySource;
  readonly kind: AnomalyKind;
  count: number;
}

export class AnomalyReporter {
  private pending = new Map<string, PendingLine>();
  private timer: unknown;
  private inFlight: Promise<void> | undefined;
  /** Lines sent since start, for diagnostics and tests. */
  sent = 0;

  constructor(
    private readonly session: Session,
    private readonly self: string,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  record(source: AnomalySource, kind: AnomalyKind): void {
    if (source.user === '' || source.user === this.self) return;
    const key = `${source.user}\u0000${source.device}\u0000${kind}`;
    const line = this.pending.get(key);
    if (line) line.count = Math.min(line.count + 1, LIMITS.anomalyCountMax);
    else if (this.pending.size < MAX_PENDING) this.pending.set(key, { source, kind, count: 1 });
    this.schedule();
  }

  /** After a (re)connect: send what waited for it. */
  resume(): void {
    if (this.pending.size > 0) this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, REPORT_DELAY_MS);
  }

  /** Sends everything pending now (or joins the send in progress); lines that could not be sent stay pending. */
  flush(): Promise<void> {
    this.inFlight ??= this.send().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async send(): Promise<void> {
    if (this.session.currentState !== 'ready') return;
    while (this.pending.size > 0) {
      const batch = [...this.pending.entries()].slice(0, LIMITS.anomalyReportsPerFrame);
      for (const [key] of batch) this.pending.delete(key);
      try {
        await this.session.request(
          FrameType.REPORT_ANOMALIES,
          create(ReportAnomaliesSchema, {
            reports: batch.map(([, line]) =>
              create(AnomalyReportSchema, { senderUsername: line.source.user, senderDeviceId: line.source.device, kind: line.kind, count: line.count })),
          }),
        );
        this.sent += batch.length;
      } catch (error) {
        // Kept for the next connection (a refusal of the report itself is dropped: resending cannot help).
        if (error instanceof ClientError && !(error instanceof RemoteError)) for (const [key, line] of batch) this.merge(key, line);
        this.logger.info({ error: error instanceof Error ? error.name : 'unknown' }, 'anomaly report not sent');
        return;
      }
    }
  }

  private merge(key: string, line: PendingLine): void {
    const current = this.pending.get(key);
    if (current) current.count = Math.min(current.count + line.count, LIMITS.anomalyCountMax);
    else if (this.pending.size < MAX_PENDING) this.pending.set(key, line);
  }
}
