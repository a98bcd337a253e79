/** @module clock The clock is injected, so tests can move time (expiry, invites) without sleeping. */

/** Milliseconds since the Unix epoch. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();
