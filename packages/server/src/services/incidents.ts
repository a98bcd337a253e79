/**
 * @module services/incidents
 * What happens when correlation finds an attack: an incident the operator can review, the
 * attacking accounts restricted pending that review, each targeted member warned once, and every
 * action written to the audit log. Resolving an incident (lift or uphold) is the operator's.
 */
import { randomBytes } from 'node:crypto';
import { create, DeliveryKind, encodeThreatNotice, ErrorCode, ThreatNoticeSchema } from '@sotto/protocol';
import type { Clock } from '../clock.js';
import { ServerError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ServerMetrics } from '../metrics.js';
import type { Store } from '../storage/store.js';
import { SERVER_REPORTER, type IncidentRecord } from '../storage/types.js';
import type { Finding } from './correlation.js';
import type { MailNotifier } from './mail-notifier.js';
import type { Restrictions } from './restrictions.js';

/** The actor named in the audit log for what the server does on its own. */
export const SERVER_ACTOR = 'server';
const OPEN_INCIDENTS_SCANNED = 500;

export interface IncidentDeskOptions {
  readonly now: Clock;
  readonly log: Logger;
  /** Absent in the operator's admin process: it resolves incidents but notifies nobody. */
  readonly notifier?: MailNotifier;
  readonly metrics?: ServerMetrics;
  /** How members reach the operator, shown in threat notifications. */
  readonly operatorContact?: string;
}

export class IncidentDesk {
  constructor(
    private readonly store: Store,
    private readonly restrictions: Restrictions,
    private readonly options: IncidentDeskOptions,
  ) {}

  /**
   * Opens an incident for `finding`, or folds it into the open incident of the same rule that
   * already names one of its subjects. New subjects are restricted, new targets warned.
   */
  async handle(finding: Finding): Promise<IncidentRecord> {
    const now = this.options.now();
    const open = await this.store.listIncidents('open', OPEN_INCIDENTS_SCANNED);
    const existing = open.find((i) => i.rule === finding.rule && i.subjects.some((s) => finding.subjects.includes(s)));
    const incident: IncidentRecord = existing
      ? {
          ...existing,
          updatedAt: now,
          subjects: union(existing.subjects, finding.subjects),
          targets: union(existing.targets, finding.targets),
          evidence: finding.evidence,
        }
      : {
          id: `inc-${randomBytes(5).toString('hex')}`,
          rule: finding.rule,
          openedAt: now,
          updatedAt: now,
          status: 'open',
          subjects: [...finding.subjects],
          targets: [...finding.targets],
          evidence: finding.evidence,
          note: '',
        };
    await this.store.saveIncident(incident);
    const newSubjects = incident.subjects.filter((s) => !existing?.subjects.includes(s));
    const newTargets = incident.targets.filter((t) => !existing?.targets.includes(t) && !incident.subjects.includes(t));
    for (const subject of newSubjects) {
      await this.restrictions.restrict(subject);
      await this.audit('restrict', subject, `${incident.id}: ${incident.rule}`);
    }
    if (!existing) {
      await this.audit('incident.open', incident.id, `${incident.rule}; ${incident.subjects.length} subject(s), ${incident.targets.length} target(s)`);
      this.options.metrics?.incidentsOpened.inc({ rule: incident.rule });
      // Counts and ids only: the log never names members.
      this.options.log.warn({ incident: incident.id, rule: incident.rule, subjects: incident.subjects.length, targets: incident.targets.length }, 'incident opened');
    }
    for (const target of newTargets) await this.warn(target, incident);
    return incident;
  }

  /** The operator's verdict. Lifting un-restricts subjects held by no other open incident. */
  async resolve(id: string, verdict: 'lifted' | 'upheld', note: string, actor: string): Promise<IncidentRecord> {
    const incident = await this.store.getIncident(id);
    if (!incident) throw new ServerError(ErrorCode.INVALID_ARGUMENT, `No incident ${id}.`);
    if (incident.status !== 'open') throw new ServerError(ErrorCode.INVALID_ARGUMENT, `Incident ${id} was already ${incident.status}.`);
    const resolved: IncidentRecord = { ...incident, status: verdict, note, updatedAt: this.options.now() };
    await this.store.saveIncident(resolved);
    await this.audit(`incident.${verdict === 'lifted' ? 'lift' : 'uphold'}`, id, note, actor);
    if (verdict === 'lifted') {
      const stillHeld = new Set((await this.store.listIncidents('open', OPEN_INCIDENTS_SCANNED)).flatMap((i) => i.subjects));
      for (const subject of incident.subjects.filter((s) => !stillHeld.has(s))) await this.setRestricted(subject, false, actor, `lifted with ${id}`);
    }
    return resolved;
  }

  /** A manual restriction or its removal, audited. */
  async setRestricted(username: string, restricted: boolean, actor: string, reason: string): Promise<void> {
    if (restricted) await this.restrictions.restrict(username);
    else await this.store.setRestricted(username, false);
    await this.audit(restricted ? 'restrict' : 'unrestrict', username, reason, actor);
  }

  /**
   * When each account's restriction was last lifted: evidence from before it was already judged,
   * so correlation counts only what came after.
   */
  async liftTimes(): Promise<ReadonlyMap<string, number>> {
    const times = new Map<string, number>();
    for (const incident of await this.store.listIncidents('lifted', OPEN_INCIDENTS_SCANNED)) {
      for (const subject of incident.subjects) times.set(subject, Math.max(times.get(subject) ?? 0, incident.updatedAt));
    }
    return times;
  }

  private async warn(target: string, incident: IncidentRecord): Promise<void> {
    const notifier = this.options.notifier;
    if (!notifier) return;
    const payload = encodeThreatNotice(
      create(ThreatNoticeSchema, {
        incidentId: incident.id,
        openedAt: BigInt(incident.openedAt),
        kinds: [...new Set(incident.evidence.map((e) => e.kind))].sort((a, b) => a - b),
        senders: incident.subjects.length,
        operatorContact: this.options.operatorContact ?? '',
      }),
    );
    try {
      const mail = await this.store.putSystemMail(
        target,
        { kind: DeliveryKind.THREAT_NOTICE, sender: SERVER_REPORTER, groupId: new Uint8Array(), messageId: new Uint8Array(randomBytes(16)), payload, epoch: 0n },
        this.options.now(),
      );
      await notifier.stored(mail);
      await this.audit('notify', target, incident.id);
    } catch (error) {
      // A target that deleted its account cannot be warned; the others still are.
      if (!(error instanceof ServerError && error.code === ErrorCode.UNKNOWN_ACCOUNT)) throw error;
    }
  }

  private audit(action: string, target: string, detail: string, actor = SERVER_ACTOR): Promise<void> {
    return this.store.appendAudit({ at: this.options.now(), actor, action, target, detail });
  }
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}
