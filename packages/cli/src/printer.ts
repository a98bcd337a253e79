/**
 * @module printer
 * Prints what a client receives, in arrival order: messages, contact events,
 * new conversations, and what was dropped (as a count-worthy line, never content).
 */
import { contactStateName, type SottoClient } from '@sotto/core';
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
  if (options.connection) {
    client.events.didChangeConnection.event((state) => later(() => out.print(`connection: ${state}`, { type: 'connection', state })));
  }
  return { flush: () => chain };
}
