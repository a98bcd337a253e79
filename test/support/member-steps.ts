/**
 * @module test/support/member-steps
 * Steps that several engine tests take between in-memory members, through the public API only:
 * becoming contacts, waiting for a group to reach a member.
 */
import assert from 'node:assert/strict';
import { ContactState } from '@sotto/protocol';
import type { SottoClient } from '@sotto/core';
import { until } from './in-memory-members.js';

/**
 * `from` asks `to` for contact and `to` accepts; both see the other as accepted, and both are in
 * the 1:1 that accepting set up (so a test's next openDirect finds it rather than racing it).
 */
export async function makeContacts(from: SottoClient, to: SottoClient): Promise<void> {
  const fromName = from.identity.username;
  const toName = to.identity.username;
  await from.requestContact(toName, `hello ${toName}`);
  await until(`${toName} to see ${fromName}'s request`, async () =>
    (await to.refreshContacts()).some((c) => c.username === fromName && c.state === ContactState.PENDING));
  await to.respondToContact(fromName, 'accept');
  await until(`${fromName} to see the acceptance`, async () =>
    (await from.refreshContacts()).some((c) => c.username === toName && c.state === ContactState.ACCEPTED));
  const direct = await to.findDirect(fromName);
  assert.ok(direct, `accepting set up ${toName}'s 1:1 with ${fromName}`);
  await untilJoined(from, direct);
}

/** The contact state `client` has for `username` on the server now (undefined: none). */
export async function contactState(client: SottoClient, username: string): Promise<ContactState | undefined> {
  return (await client.refreshContacts()).find((c) => c.username === username)?.state;
}

/** Waits until `client` is an active member of the conversation `groupId`. */
export async function untilJoined(client: SottoClient, groupId: string): Promise<void> {
  await until(`${client.identity.username} to join`, async () =>
    (await client.listConversations()).some((c) => c.groupId === groupId && c.active));
}
