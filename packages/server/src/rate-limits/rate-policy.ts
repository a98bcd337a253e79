/**
 * @module rate-limits/rate-policy
 * Which actions are limited, per what (account, device, address), and how tightly. One place for
 * every limit, so an operator reads them in one table and a refusal always says when to retry.
 * The limiter behind it is the store's (shared by every node on PostgreSQL).
 */
import { ErrorCode } from '@sotto/protocol';
import type { Clock } from '../clock.js';
import { ServerError } from '../errors.js';
import type { RateCheck, RateLimiter, RateRule } from './rate-limiter.js';

export type RateAction = 'register' | 'contactRequest' | 'claim' | 'ring' | 'message' | 'report' | 'upload';
export type RateScope = 'account' | 'device' | 'address';

/** The rules of one action, by scope; a scope without a rule is not limited. */
export type ActionRules = Readonly<Partial<Record<RateScope, RateRule>>>;
export type RatePolicyRules = Readonly<Record<RateAction, ActionRules>>;

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * Defaults: generous for people, tight for floods. Rings and contact requests reach another
 * member's screen, so they are limited far below messages (which reach only existing contacts).
 */
export const DEFAULT_RATE_RULES: RatePolicyRules = {
  register: { address: { limit: 20, periodMs: HOUR, burst: 20 } },
  contactRequest: {
    account: { limit: 20, periodMs: HOUR, burst: 10 },
    address: { limit: 100, periodMs: HOUR, burst: 50 },
  },
  claim: {
    account: { limit: 120, periodMs: MINUTE, burst: 60 },
    address: { limit: 600, periodMs: MINUTE, burst: 300 },
  },
  ring: {
    account: { limit: 6, periodMs: MINUTE, burst: 6 },
    device: { limit: 6, periodMs: MINUTE, burst: 6 },
    address: { limit: 30, periodMs: MINUTE, burst: 30 },
  },
  message: {
    account: { limit: 400, periodMs: SECOND, burst: 4_000 },
    device: { limit: 200, periodMs: SECOND, burst: 2_000 },
    address: { limit: 2_000, periodMs: SECOND, burst: 20_000 },
  },
  // Anomaly reports are written durably; a device sends one every few seconds at most.
  report: { device: { limit: 60, periodMs: MINUTE, burst: 30 } },
  // Each upload reserves quota and a blob row for a day: an album's worth at once, not a flood.
  upload: {
    account: { limit: 300, periodMs: HOUR, burst: 100 },
    address: { limit: 1_000, periodMs: HOUR, burst: 300 },
  },
};

/** Words for a refusal: "Too many contact requests". */
const ACTION_WORDS: Record<RateAction, string> = {
  register: 'registrations from this address',
  contactRequest: 'contact requests',
  claim: 'key package claims',
  ring: 'calls',
  message: 'messages',
  report: 'anomaly reports',
  upload: 'file uploads',
};

/** Who is acting; a scope is checked only when its subject is known. */
export interface RateSubject {
  readonly account?: string;
  readonly device?: string;
  /** The client's address, already reduced to its limiting key (see addressKey); absent: not limited by address. */
  readonly address?: string;
}

/** Told about every refusal: the anomaly service counts them against the sender. */
export type RateLimitHit = (action: RateAction, subject: RateSubject, target: string) => void;

export class RatePolicy {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly rules: RatePolicyRules,
    private readonly now: Clock,
    private readonly onHit: RateLimitHit = () => undefined,
  ) {}

  /** Counts one `action`, or throws RATE_LIMITED saying when it can succeed. `target`: whom it aims at, for the evidence. */
  async take(action: RateAction, subject: RateSubject, target = ''): Promise<void> {
    const checks = this.checks(action, subject);
    if (checks.length === 0) return;
    const decision = await this.limiter.take(checks, this.now());
    if (decision.allowed) return;
    this.onHit(action, subject, target);
    const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    const rule = this.rules[action].account ?? checks[0]!.rule;
    throw new ServerError(ErrorCode.RATE_LIMITED, `Too many ${ACTION_WORDS[action]}: at most ${describeRate(rule)}. Try again in ${seconds} s.`, {
      retryAfterMs: decision.retryAfterMs,
    });
  }

  private checks(action: RateAction, subject: RateSubject): RateCheck[] {
    const rules = this.rules[action];
    const checks: RateCheck[] = [];
    for (const scope of ['account', 'device', 'address'] as const) {
      const rule = rules[scope];
      const value = scope === 'device' ? deviceKey(subject) : subject[scope];
      if (rule && value !== undefined) checks.push({ key: `${action}:${scope}:${value}`, rule });
    }
    return checks;
  }
}

/** "6 a minute", "20 an hour". */
function describeRate(rule: RateRule): string {
  const unit = rule.periodMs === HOUR ? 'an hour' : rule.periodMs === MINUTE ? 'a minute' : rule.periodMs === SECOND ? 'a second' : `per ${rule.periodMs / 1000} s`;
  return `${rule.limit} ${unit}`;
}

/** Device ids are unique per account only. */
function deviceKey(subject: RateSubject): string | undefined {
  return subject.account !== undefined && subject.device !== undefined ? `${subject.account}/${subject.device}` : undefined;
}

/** A policy that limits nothing: for benchmarks and for operators who limit in front of Sotto. */
export const NO_RATE_RULES: RatePolicyRules = { register: {}, contactRequest: {}, claim: {}, ring: {}, message: {}, report: {}, upload: {} };

/** Overrides merged onto the defaults, action by action and scope by scope. */
export function mergeRateRules(overrides: Partial<Record<RateAction, ActionRules>> | undefined, base: RatePolicyRules = DEFAULT_RATE_RULES): RatePolicyRules {
  if (!overrides) return base;
  const merged = { ...base } as Record<RateAction, ActionRules>;
  for (const action of Object.keys(base) as RateAction[]) merged[action] = { ...base[action], ...overrides[action] };
  return merged;
}
