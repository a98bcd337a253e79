/**
 * @module fuzz/targets/call-machine
 * `transition(state, event)` fed a stream of events decoded from the input, from idle. After
 * every step the consent rules are checked (fuzz/lib/call-oracle.mjs); the machine must never
 * throw. A violation throws with the whole sequence, so a finding reads as a story.
 */
import { initialCallMachineState, transition } from '@sotto/core';
import { decodeCallEvents } from '../lib/call-events.mjs';
import { NO_GHOST, checkTransition } from '../lib/call-oracle.mjs';

/** @param {Buffer} data */
export function fuzz(data) {
  const events = decodeCallEvents(data);
  let state = initialCallMachineState;
  let ghost = NO_GHOST;
  for (let i = 0; i < events.length; i++) {
    const event = events[i];
    try {
      const result = transition(state, event);
      ghost = checkTransition(state.call, ghost, event, result.state.call, result.effects);
      state = result.state;
    } catch (error) {
      const story = events.slice(0, i + 1).map((e, n) => `  ${n + 1}. ${JSON.stringify(e)}`).join('\n');
      // The original stack goes into the message: it is where the machine (or a rule) broke.
      throw new Error(`after ${i + 1} events:\n${story}\n${error instanceof Error ? error.stack : String(error)}`, { cause: error });
    }
  }
}
