/**
 * @module printer
 * Prints what a client receives, in arrival order: messages, contact events,
 * new conversations, and what was dropped (as a count-worthy line, never content).
 */
import { contactStateName, type SottoClient, type VerifiedAdvisory } from '@sotto/core';
import { SOFTWARE_VERSION } from '@sotto/protocol';
import type { Output } from './output.js';
import { formatMessage, messageRecord } from './commands/member.js';

export function attachPrinter(client: SottoClient, out: Output, options: { connection?: boolean } = {}): { flush(): Promise<void> } {
  let chain: Promise<void> = Promise.resolve();
  const names = new Map<string, string>();
  const nameOf = async (groupId: string): Promise<string> => {
    if (!names.has(groupId)) {
      const conv = (await client.listConversations()).find((c) => c.groupId === groupId);
      if (conv) names.set(groupId, conv.name);
    }
    return names.get(groupId) ?? groupId.slice(0, 8);
  };
  const later = (job: () => Promise<void> | void) => {
    chain = chain.then(job).catch(() => undefined);
  };
  client.events.didReceiveMessage.event((m) =>
    later(async () => {
      const name = await nameOf(m.groupId);
      out.print(formatMessage(name, m), messageRecord(name, m));
    }),
  );
  client.events.didChangeContact.event((c) =>
    later(() => {
      const state = contactStateName(c.state);
      const human = state === 'pending' ? `contact request from ${c.username}: "${c.text}"` : `${c.username} is now ${state}`;
      out.print(human, { type: 'contact', username: c.username, state, text: c.text });
    }),
  );
  client.events.didJoinConversation.event((j) =>
    later(() => {
      names.delete(j.groupId);
      out.print(`joined ${j.name}`, { type: 'joined', groupId: j.groupId, name: j.name });
    }),
  );
  client.events.didDrop.event((d) =>
    later(() => out.print(`dropped a delivery from ${d.sender}: ${d.reason}`, { type: 'dropped', sender: d.sender, reason: d.reason })),
  );
  client.advisories.didReceive.event((a) => later(() => printAdvisory(out, a)));
  client.advisories.didRefuse.event((r) =>
    later(() => out.print(`refused a security advisory: ${r.reason}`, { type: 'advisory-refused', reason: r.reason })),
  );
  if (options.connection) {
    client.events.didChangeConnection.event((state) => later(() => out.print(`connection: ${state}`, { type: 'connection', state })));
  }
  return { flush: () => chain };
}

/** An advisory, saying plainly whether this app must be updated and to what. */
export function printAdvisory(out: Output, a: VerifiedAdvisory): void {
  const action = !a.affectsThisVersion
    ? `this app (${SOFTWARE_VERSION}) already has the fix`
    : a.fixedVersion
      ? `ACTION NEEDED: this app is ${SOFTWARE_VERSION}; update Sotto to ${a.fixedVersion} or newer`
      : 'ACTION NEEDED: read the advice above';
  out.print(`security advisory: ${a.title}\n  ${a.text}\n  ${action}`, { type: 'advisory', ...a, appVersion: SOFTWARE_VERSION });
}
