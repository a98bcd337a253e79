/**
 * @module printer
 * Prints what a client receives, in arrival order: messages, contact events,
 * new conversations, and what was dropped (as a count-worthy line, never content);
 * and, on stderr, sends the server has not stored yet.
 */
import { contactStateName, THREAT_ADVICE, type DeviceListChange, type SendDelay, type SottoClient, type ThreatNoticeRecord, type VerifiedAdvisory } from '@sotto/core';
import { SOFTWARE_VERSION } from '@sotto/protocol';
import type { Output } from './output.js';
import { formatMessage, messageRecord } from './message-format.js';

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
  // An edit, a deletion for everyone or a reaction: the message as it is now.
  client.events.didChangeMessage.event(({ messageId, groupId }) =>
    later(async () => {
      const m = (await client.listMessages(groupId, 1000)).find((x) => x.messageId === messageId);
      if (!m) return;
      const name = await nameOf(groupId);
      out.print(`changed: ${formatMessage(name, m)}`, { ...messageRecord(name, m), type: 'message-changed' });
    }),
  );
  client.events.didChangeContact.event((c) =>
    later(() => {
      const state = contactStateName(c.state);
      // Lockdown mode: nothing from a non-contact beyond the fact that one asked.
      if (c.heldBack) return out.print('a contact request from a non-contact was held back (lockdown mode)', { type: 'contact-held-back' });
      const human = state === 'pending' ? `contact request from ${c.username}: "${c.text}"` : `${c.username} is now ${state}`;
      out.print(human, { type: 'contact', username: c.username, state, text: c.text });
    }),
  );
  client.threats.didReceive.event((n) => later(() => printThreatNotice(out, n)));
  client.lockdown.didChange.event((l) =>
    later(() => out.print(`lockdown mode is ${l.enabled ? 'on' : 'off'}${l.enabled ? `; ${l.refused} request(s) refused` : ''}`, { type: 'lockdown', ...l })),
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
  client.events.didChangeDevices.event((c) => later(() => printDeviceChange(out, client.identity.username, c)));
  client.events.didWarnDevices.event((w) =>
    later(() => out.print(`device warning (${w.username}): ${w.reason}`, { type: 'device-warning', username: w.username, reason: w.reason })),
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

/** A threat notification: what the server found, and what to do, in the client's own words. */
export function printThreatNotice(out: Output, n: ThreatNoticeRecord): void {
  const lines = [
    `SECURITY NOTICE (${n.incidentId}): your account appears to be targeted.`,
    `  ${n.senders} account(s) sent you input your device refused (${n.kinds.join(', ') || 'several kinds'}); the server has restricted them pending review.`,
    ...THREAT_ADVICE.map((a) => `  - ${a}`),
    ...(n.operatorContact ? [`  Operator: ${n.operatorContact}`] : []),
  ];
  out.print(lines.join('\n'), { type: 'threat-notice', ...n, advice: [...THREAT_ADVICE] });
}

/**
 * Says on stderr, as it happens, that the server did not store a message and what the client does
 * about it: retry (when and which attempt), or give up, leaving it in the outbox. Without this a
 * send to a server with a full disk waited in silence.
 */
export function attachSendNotices(client: SottoClient, out: Output): void {
  client.didDelaySend.event((delay) => out.notice(describeSendDelay(delay), { type: 'send-delayed', ...delay, gaveUp: delay.retryInMs === undefined }));
}

export function describeSendDelay(delay: SendDelay): string {
  const what = delay.reason === 'no-answer' ? 'The server does not answer' : 'The server cannot store messages right now';
  if (delay.retryInMs === undefined) {
    return `${what}; gave up after ${delay.failedAttempts} attempts. What was not sent stays in the outbox and goes out with the next sotto sync or sotto send.`;
  }
  const seconds = delay.retryInMs < 1000 ? (delay.retryInMs / 1000).toFixed(2).replace(/0$/, '') : String(Math.round(delay.retryInMs / 1000));
  return `${what}; retrying in ${seconds} s (attempt ${delay.failedAttempts + 1} of ${delay.maxAttempts})…`;
}

/** "alice linked a new device" (or removed one): what a contact sees in the chat. First sight says nothing. */
function printDeviceChange(out: Output, me: string, change: DeviceListChange): void {
  if (change.firstSight) return;
  const who = change.username === me ? 'your account' : change.username;
  for (const deviceId of change.added) {
    out.print(`${who} linked a new device (${deviceId})`, { type: 'device-linked', username: change.username, deviceId, version: Number(change.version) });
  }
  for (const deviceId of change.removed) {
    out.print(`${who} removed a device (${deviceId})`, { type: 'device-removed', username: change.username, deviceId, version: Number(change.version) });
  }
}
