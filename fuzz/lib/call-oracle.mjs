/**
 * @module fuzz/lib/call-oracle
 * The consent rules of the call machine, checked after every transition: the same checker the
 * exhaustive explorer runs (`checkCallRules` in @sotto/core/testing), here on the fuzzer's longer
 * sequences with times, ids and senders the explorer's fixed alphabet does not use. One rule is
 * added that only long sequences can reach: the candidates a peer can make us hold stay bounded.
 */
import { MAX_PENDING_CANDIDATES } from '@sotto/core';
import { checkCallRules, NO_CALL_GHOST } from '@sotto/core/testing';

export const NO_GHOST = NO_CALL_GHOST;

/** Checks one transition and returns the ghost after it; throws on a violated rule. */
export function checkTransition(pre, ghostIn, event, post, effects) {
  const fail = (why) => {
    throw new Error(`call machine rule broken: ${why}\n  event ${JSON.stringify(event)}\n  effects ${JSON.stringify(effects)}`);
  };
  const ghost = checkCallRules(pre, ghostIn, event, post, effects, fail);
  if ((post.pendingCandidates?.length ?? 0) > MAX_PENDING_CANDIDATES) fail('more pending candidates than MAX_PENDING_CANDIDATES');
  return ghost;
}
