/**
 * @module threat-notices
 * The server's warnings that this member is being targeted. Checked like any input (bounded,
 * field by field), kept in settings (the newest MAX_THREAT_NOTICES), shown until dismissed. The
 * advice is the client's own words, not the server's: update, turn on lockdown, call the operator.
 */
import { AnomalyKind, checkThreatNotice } from '@sotto/protocol';
import { Emitter, subscribeSide, type Subscribable } from './events.js';
import { MAX_THREAT_NOTICES, type ClientStore, type ClientWriteBatch, type ThreatNoticeRecord } from './ports.js';

/** What a member is told to do; the UI renders its own wording for each. */
export const THREAT_ADVICE = [
  'Update Sotto on every device you use.',
  'Turn on lockdown mode: only people you give a contact link can then reach you, and calls go through the relay.',
  'Contact your server operator, and do not accept requests or calls from people you do not know.',
] as const;

export function anomalyKindName(kind: AnomalyKind): string {
  return (AnomalyKind[kind] ?? 'unknown').toLowerCase().replace(/_/g, '-');
}

export class ThreatNotices {
  private readonly received = new Emitter<ThreatNoticeRecord>();
  /** A new notice was stored; only the engine fires it (through `announce`). */
  readonly didReceive: Subscribable<ThreatNoticeRecord> = subscribeSide(this.received);

  constructor(private readonly store: ClientStore) {}

  /** Called by the inbox once the notice's batch is stored, so subscribers never see an unsaved notice. */
  announce(record: ThreatNoticeRecord): void {
    this.received.fire(record);
  }

  /** Active (not dismissed) notices first, newest first. */
  async list(): Promise<ThreatNoticeRecord[]> {
    const all = [...(await this.store.getSettings()).threatNotices].reverse();
    return [...all.filter((n) => !n.dismissed), ...all.filter((n) => n.dismissed)];
  }

  async dismiss(incidentId: string): Promise<void> {
    const notices = (await this.store.getSettings()).threatNotices;
    await this.store.apply({ settings: { threatNotices: notices.map((n) => (n.incidentId === incidentId ? { ...n, dismissed: true } : n)) } });
  }

  /**
   * The batch that keeps a THREAT_NOTICE delivery, or a reason to drop it. One notice per
   * incident: the server may warn again as an incident grows.
   */
  async fromDelivery(payload: Uint8Array, receivedAt: number): Promise<{ batch: ClientWriteBatch; record: ThreatNoticeRecord } | { reason: string }> {
    const checked = checkThreatNotice(payload);
    if (!checked.ok) return { reason: checked.reason };
    const n = checked.notice;
    const record: ThreatNoticeRecord = {
      incidentId: n.incidentId,
      openedAt: Number(n.openedAt),
      kinds: n.kinds.map(anomalyKindName),
      senders: n.senders,
      operatorContact: n.operatorContact,
      receivedAt,
      dismissed: false,
    };
    const kept = (await this.store.getSettings()).threatNotices.filter((x) => x.incidentId !== record.incidentId);
    return { batch: { settings: { threatNotices: [...kept, record].slice(-MAX_THREAT_NOTICES) } }, record };
  }
}
