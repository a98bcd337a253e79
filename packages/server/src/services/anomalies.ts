/**
 * @module services/anomalies
 * Anomaly reports in, findings out. Members report what their devices dropped (by sender and
 * kind, never content); the server adds what it saw itself (rate-limit refusals, strangers' call
 * requests). After each batch the senders and targets involved are re-examined by the
 * correlation rules, and findings go to the incident desk.
 *
 * A report only counts against a sender who actually reached the reporter (a contact row or a
 * shared group): a stranger cannot get a member restricted by reporting them.
 */
import { AnomalyKind, isValidUsername, LIMITS, type AnomalyReport } from '@sotto/protocol';
import type { Clock } from '../clock.js';
import { errorSummary, type Logger } from '../logger.js';
import type { Store } from '../storage/store.js';
import { SERVER_REPORTER, type AnomalyRecord, type AnomalyTally, type DeviceAddress } from '../storage/types.js';
import { DEFAULT_THRESHOLDS, findingForTarget, findingsForSender, type CorrelationThresholds } from './correlation.js';
import type { IncidentDesk } from './incidents.js';
import { invalid } from './validate.js';

/** Server observations are summed in memory and written at most this often. */
export const OBSERVATION_FLUSH_MS = 1_000;
/** Distinct (sender, kind, target) lines kept between flushes; a flood beyond it is still counted per sender. */
const MAX_PENDING_OBSERVATIONS = 10_000;

const CLIENT_KINDS = new Set<AnomalyKind>([
  AnomalyKind.UNDECRYPTABLE,
  AnomalyKind.MALFORMED,
  AnomalyKind.CONSENT_VIOLATION,
  AnomalyKind.REFUSED_MEDIA,
  AnomalyKind.UNSOLICITED_CALL,
]);

export interface AnomalyServiceOptions {
  readonly now: Clock;
  readonly log: Logger;
  readonly thresholds?: CorrelationThresholds;
}

export class AnomalyService {
  private pending = new Map<string, AnomalyRecord>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly thresholds: CorrelationThresholds;

  constructor(
    private readonly store: Store,
    private readonly desk: IncidentDesk,
    private readonly options: AnomalyServiceOptions,
  ) {
    this.thresholds = options.thresholds ?? DEFAULT_THRESHOLDS;
  }

  /** A member device's report; returns how many lines counted (lines about strangers do not). */
  async report(reporter: DeviceAddress, lines: readonly AnomalyReport[]): Promise<number> {
    validateReport(reporter, lines);
    const reached = new Map<string, boolean>();
    const at = this.options.now();
    const records: AnomalyRecord[] = [];
    for (const line of lines) {
      if (!reached.has(line.senderUsername)) reached.set(line.senderUsername, await this.store.hasReached(line.senderUsername, reporter.username));
      if (!reached.get(line.senderUsername)) continue;
      records.push({
        reporter: { username: reporter.username, deviceId: reporter.deviceId },
        sender: { username: line.senderUsername, deviceId: line.senderDeviceId },
        target: '',
        kind: line.kind,
        count: line.count,
        at,
      });
    }
    if (records.length === 0) return 0;
    await this.store.recordAnomalies(records);
    await this.correlate(records.map((r) => r.sender.username), [reporter.username]);
    return records.length;
  }

  /** Something the server saw itself; written within OBSERVATION_FLUSH_MS, then correlated. */
  observe(sender: DeviceAddress, kind: AnomalyKind, target: string): void {
    const key = `${sender.username}\u0000${sender.deviceId}\u0000${kind}\u0000${target}`;
    const line = this.pending.get(key);
    if (line) this.pending.set(key, { ...line, count: line.count + 1, at: this.options.now() });
    else if (this.pending.size < MAX_PENDING_OBSERVATIONS) {
      this.pending.set(key, { reporter: SERVER_REPORTER, sender: { username: sender.username, deviceId: sender.deviceId }, target, kind, count: 1, at: this.options.now() });
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flushing = this.flushing.then(() => this.flush()).catch((error: unknown) =>
        this.options.log.warn({ err: errorSummary(error) }, 'could not record observations'));
    }, OBSERVATION_FLUSH_MS);
    this.timer.unref?.();
  }

  /** Writes pending observations now and correlates them (also used at shutdown and by tests). */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const records = [...this.pending.values()];
    this.pending = new Map();
    await this.store.recordAnomalies(records);
    await this.correlate(records.map((r) => r.sender.username), records.map((r) => r.target).filter((t) => t !== ''));
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flushing;
    await this.flush().catch((error: unknown) => this.options.log.warn({ err: errorSummary(error) }, 'could not record observations'));
  }

  private async correlate(senders: readonly string[], targets: readonly string[]): Promise<void> {
    const now = this.options.now();
    const lifted = await this.desk.liftTimes();
    for (const sender of new Set(senders)) {
      const since = Math.max(now - this.thresholds.windowMs, (lifted.get(sender) ?? 0) + 1);
      const tallies = await this.store.tallyAnomalies({ sender, since });
      for (const finding of findingsForSender(sender, tallies, this.thresholds)) await this.desk.handle(finding);
    }
    for (const target of new Set(targets)) {
      const since = now - this.thresholds.burstWindowMs;
      const tallies: AnomalyTally[] = [
        ...(await this.store.tallyAnomalies({ reporter: target, since })),
        ...(await this.store.tallyAnomalies({ reporter: '', target, since })),
      ];
      const createdAt = new Map<string, number>();
      for (const sender of new Set(tallies.map((t) => t.sender))) {
        const account = await this.store.getAccount(sender);
        if (account && !account.restricted) createdAt.set(sender, account.createdAt);
      }
      const finding = findingForTarget(target, tallies, createdAt, now, this.thresholds);
      if (finding) await this.desk.handle(finding);
    }
  }
}

function validateReport(reporter: DeviceAddress, lines: readonly AnomalyReport[]): void {
  if (lines.length === 0 || lines.length > LIMITS.anomalyReportsPerFrame) {
    throw invalid(`A report has 1-${LIMITS.anomalyReportsPerFrame} lines, not ${lines.length}.`);
  }
  lines.forEach((line, i) => {
    if (!isValidUsername(line.senderUsername)) throw invalid(`reports[${i}].sender_username is not a valid username.`);
    if (line.senderUsername === reporter.username) throw invalid(`reports[${i}] is about this account itself.`);
    if (line.senderDeviceId.length > LIMITS.deviceIdMaxLength) throw invalid(`reports[${i}].sender_device_id is longer than ${LIMITS.deviceIdMaxLength} characters.`);
    if (!CLIENT_KINDS.has(line.kind)) throw invalid(`reports[${i}].kind must be UNDECRYPTABLE, MALFORMED, CONSENT_VIOLATION, REFUSED_MEDIA or UNSOLICITED_CALL.`);
    if (!Number.isInteger(line.count) || line.count < 1 || line.count > LIMITS.anomalyCountMax) {
      throw invalid(`reports[${i}].count must be 1-${LIMITS.anomalyCountMax}.`);
    }
  });
}
