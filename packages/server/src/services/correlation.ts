/**
 * @module services/correlation
 * The rules that turn anomaly tallies into findings, pure so they are tested on their own. Each
 * rule looks for a pattern the 2019 attack would have shown: one sender hitting many members,
 * one sender producing many kinds of anomaly, a sender throttled again and again, and a burst of
 * fresh accounts aiming at one member (the "strange missed calls" that lawyer noticed).
 */
import { AnomalyKind } from '@sotto/protocol';
import type { AnomalyTally } from '../storage/types.js';

export type CorrelationRule = 'many-targets' | 'many-kinds' | 'rate-limit-flood' | 'fresh-account-burst';

export interface CorrelationThresholds {
  /** How far back a sender's anomalies count. */
  readonly windowMs: number;
  /** Distinct members reporting one sender. */
  readonly manyTargets: number;
  /** Distinct anomaly kinds from one sender. */
  readonly manyKinds: number;
  /** Rate-limit refusals of one sender, as the server counted them. */
  readonly rateLimitHits: number;
  /** An account younger than this is fresh. */
  readonly freshAccountMs: number;
  /** Distinct fresh senders with anomalies against one member within burstWindowMs. */
  readonly freshBurstSenders: number;
  readonly burstWindowMs: number;
}

export const DEFAULT_THRESHOLDS: CorrelationThresholds = {
  windowMs: 24 * 3_600_000,
  manyTargets: 3,
  manyKinds: 3,
  rateLimitHits: 10,
  freshAccountMs: 48 * 3_600_000,
  freshBurstSenders: 3,
  burstWindowMs: 3_600_000,
};

export interface Finding {
  readonly rule: CorrelationRule;
  /** Accounts to restrict. */
  readonly subjects: readonly string[];
  /** Members to warn. */
  readonly targets: readonly string[];
  readonly evidence: readonly AnomalyTally[];
}

/** Whom a tally is about: the reporting member, or for the server's own observations the member aimed at. */
export function targetOf(tally: AnomalyTally): string {
  return tally.reporter !== '' ? tally.reporter : tally.target;
}

/** Findings about one sender, from every tally about them within the window. */
export function findingsForSender(sender: string, tallies: readonly AnomalyTally[], thresholds: CorrelationThresholds): Finding[] {
  const about = tallies.filter((t) => t.sender === sender);
  if (about.length === 0) return [];
  const targets = distinct(about.map(targetOf).filter((t) => t !== '' && t !== sender));
  const memberReports = about.filter((t) => t.reporter !== '');
  const reporters = distinct(memberReports.map((t) => t.reporter));
  const kinds = distinct(about.map((t) => t.kind));
  const rateHits = about.filter((t) => t.reporter === '' && t.kind === AnomalyKind.RATE_LIMITED).reduce((sum, t) => sum + t.count, 0);
  const findings: Finding[] = [];
  const finding = (rule: CorrelationRule) => findings.push({ rule, subjects: [sender], targets, evidence: about });
  if (reporters.length >= thresholds.manyTargets) finding('many-targets');
  else if (kinds.length >= thresholds.manyKinds) finding('many-kinds');
  else if (rateHits >= thresholds.rateLimitHits) finding('rate-limit-flood');
  return findings;
}

/**
 * A burst against one member: at least `freshBurstSenders` fresh accounts with anomalies against
 * them (reported by the member, or observed by the server: call requests, throttled attempts).
 * `createdAt` answers an account's creation time (undefined: gone, not counted).
 */
export function findingForTarget(
  target: string,
  tallies: readonly AnomalyTally[],
  createdAt: ReadonlyMap<string, number>,
  now: number,
  thresholds: CorrelationThresholds,
): Finding | undefined {
  const recent = tallies.filter((t) => targetOf(t) === target && t.sender !== target && t.lastAt >= now - thresholds.burstWindowMs);
  const fresh = distinct(recent.map((t) => t.sender)).filter((sender) => {
    const created = createdAt.get(sender);
    return created !== undefined && now - created < thresholds.freshAccountMs;
  });
  if (fresh.length < thresholds.freshBurstSenders) return undefined;
  return { rule: 'fresh-account-burst', subjects: fresh, targets: [target], evidence: recent.filter((t) => fresh.includes(t.sender)) };
}

function distinct<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
