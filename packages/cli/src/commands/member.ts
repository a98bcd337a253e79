/**
 * @module commands/member
 * The member's commands: register, contacts, send, group, sync, listen, verify.
 * Each opens the profile, connects, processes what is waiting, acts, and exits.
 */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { contactStateName, formatSafetyNumber, ClientError, type SottoClient } from '@sotto/core';
import { createOutput, type Output } from '../output.js';
import { serverUrl } from '../option-values.js';
import { profileDir, withClient, type GlobalOptions } from '../profile.js';
import { attachPrinter, attachSendNotices } from '../printer.js';
import { resolveDirect, resolveGroup, resolveGroupToRead } from '../conversation-names.js';
import { formatMessage, messageRecord } from '../message-format.js';
import { attachCallPrinter, callEndRecord, describeEnd } from '../call-printer.js';
import { addMediaOptions, callsConfig, parseSeconds, type CallMediaFlags } from './calls.js';
import { sendFile, sendVoiceNote } from './files.js';
import { groupCallsConfig, joinGroupCallsWhenStarted, registerGroupCallCommand } from './group-calls.js';
import { findMessage } from '../message-ids.js';

export function registerMemberCommands(program: Command, globals: () => GlobalOptions): void {
  const out = (): Output => createOutput(globals().json ?? false);

  program
    .command('register')
    .description('create an account on a server for this profile')
    .argument('<username>', '3-32 characters: a-z, 0-9, _ . -')
    .requiredOption('--server <url>', 'server URL, e.g. http://127.0.0.1:8080')
    .option('--invite <code>', 'invite code, when the server is invite-only')
    .action(async (username: string, opts: { server: string; invite?: string }) => {
      const g = globals();
      const server = serverUrl(opts.server);
      const { registerNodeClient } = await import('@sotto/client-node');
      const client = await registerNodeClient({ profileDir: profileDir(g), logLevel: g.logLevel ?? 'warn', reconnect: false }, server, username, opts.invite);
      try {
        await client.connect();
        await client.idle();
      } finally {
        await client.close();
      }
      out().print(`registered ${username} (device ${client.identity.deviceId})`, { username, deviceId: client.identity.deviceId, server });
    });

  const contacts = program.command('contacts').description('contact requests and your contact list');
  contacts
    .command('request')
    .description('ask a member for contact (plain text, at most 280 characters)')
    .argument('<username>')
    .argument('[text...]', 'a short note', [])
    .option('--link <link>', "the member's contact link (needed when they are in lockdown mode)")
    .action(async (username: string, words: string[], opts: { link?: string }) => {
      await withClient(globals(), (c) => c.requestContact(username, words.join(' '), opts.link !== undefined ? { link: opts.link } : {}));
      out().print(`contact request sent to ${username}`, { type: 'contact-request-sent', username });
    });
  const describe = { accept: "accept a member's contact request", decline: "decline a member's contact request (they are not told)", block: 'block a member: their requests and messages go nowhere (they are not told)', unblock: 'unblock a member: a new request of theirs reaches you again', cancel: 'take back your own pending request to a member' } as const;
  const said = { accept: 'accepted', decline: 'declined', block: 'blocked', unblock: 'unblocked', cancel: 'took back your request to' } as const;
  for (const action of ['accept', 'decline', 'block', 'unblock', 'cancel'] as const) {
    contacts
      .command(action)
      .description(describe[action])
      .argument('<username>')
      .action(async (username: string) => {
        await withClient(globals(), async (c) => {
          // Accepting also sets up the encrypted conversation (the engine does, for every surface).
          await c.respondToContact(username, action);
        });
        out().print(`${said[action]} ${username}`, { type: `contact-${action}`, username });
      });
  }
  contacts
    .command('list')
    .description('list contacts and pending requests')
    .action(async () => {
      const { list, requests, names } = await withClient(globals(), async (c) => {
        const contacts = await c.refreshContacts();
        const names = new Map(await Promise.all(contacts.map(async (k) => [k.username, (await c.profile.of(k.username)).displayName] as const)));
        return { list: contacts, requests: await c.lockdown.contactRequests(), names };
      });
      const shown = new Set(requests.shown.map((r) => r.username));
      for (const contact of list) {
        const state = contactStateName(contact.state);
        // Lockdown mode: pending requests from non-contacts are a count, below.
        if (state === 'pending' && !shown.has(contact.username)) continue;
        const via = contact.viaLink ? '\tvia your link' : '';
        const name = names.get(contact.username) ?? '';
        out().print(`${contact.username}${name ? ` (${name})` : ''}\t${state}${contact.text ? `\t"${contact.text}"` : ''}${via}`, {
          username: contact.username, state, text: contact.text, ...(contact.viaLink ? { viaLink: true } : {}), ...(name ? { displayName: name } : {}),
        });
      }
      if (requests.hidden > 0) out().print(`${requests.hidden} request(s) from non-contacts held back by lockdown mode`, { type: 'held-back', count: requests.hidden });
    });

  program
    .command('send')
    .description('send an end-to-end encrypted message to a contact')
    .argument('<username>')
    .argument('[text...]', 'the message (with --file: its caption)')
    .option('--file <path>', 'send this file (a photo, a PDF, any file), end-to-end encrypted')
    .option('--voice <file.wav>', 'send this recording as a voice note (encoded to Opus here)')
    .option('--as-file', 'with --file: send a photo as it is, as a plain file (not re-encoded, metadata included)')
    .option('--reply <message-id>', 'answer this message (as sync prints its id)')
    .option('--stdin', 'send each line of standard input as a message, printing each acknowledgement')
    .option('--window <n>', 'with --stdin: messages in flight at once', '16')
    .action(async (username: string, words: string[], opts: { stdin?: boolean; window: string; file?: string; voice?: string; asFile?: boolean; reply?: string }) => {
      if (opts.voice !== undefined) {
        const caption = words.join(' ');
        await withClient(globals(), async (c) => sendVoiceNote(c, await resolveDirect(c, username, caption || undefined), opts.voice!, caption, out(), { to: username }));
        return;
      }
      if (opts.file !== undefined) {
        const caption = words.join(' ');
        await withClient(globals(), async (c) => sendFile(c, await resolveDirect(c, username, caption || undefined), opts.file!, caption, out(), { to: username }, opts.asFile === true));
        return;
      }
      if (opts.stdin) {
        await withClient(globals(), (c) => streamLines(c, username, Number(opts.window), out()), { reconnect: true });
        return;
      }
      const text = words.join(' ');
      if (!text) throw new ClientError('INVALID_INPUT', 'Nothing to send.');
      if (opts.reply !== undefined) {
        const reply = await withClient(globals(), async (c) => {
          const target = await findMessage(c, opts.reply!);
          const direct = await resolveDirect(c, username, text);
          if (target.groupId !== direct) throw new ClientError('INVALID_INPUT', `That message is not in your chat with ${username}.`);
          return c.messages.reply(direct, target.messageId, text);
        });
        out().print(`sent ${reply.messageId}`, { type: 'sent', messageId: reply.messageId, to: username, replyTo: reply.replyTo });
        return;
      }
      // If the server cannot store it, this fails with SERVER_UNAVAILABLE after the outbox's retry
      // bound (about 8 s), the message kept for the next sync or send; withClient prints the retries.
      const sent = await withClient(globals(), async (c) => c.sendText(await resolveDirect(c, username, text), text));
      out().print(`sent ${sent.messageId}`, { type: 'sent', messageId: sent.messageId, to: username });
    });

  const group = program.command('group').description('group conversations');
  group
    .command('create')
    .argument('<name>')
    .argument('[members...]', 'contacts to add', [])
    .action(async (name: string, members: string[]) => {
      const created = await withClient(globals(), (c) => c.createGroup(name, members));
      out().print(`created group ${name} (${created.groupId.slice(0, 16)})`, { type: 'group-created', name, groupId: created.groupId });
    });
  group
    .command('add')
    .argument('<name>')
    .argument('<members...>')
    .action(async (name: string, members: string[]) => {
      await withClient(globals(), async (c) => c.addMembers(await resolveGroup(c, name), members));
      out().print(`added ${members.join(', ')} to ${name}`, { type: 'group-added', name, members });
    });
  group
    .command('remove')
    .argument('<name>')
    .argument('<members...>')
    .action(async (name: string, members: string[]) => {
      await withClient(globals(), async (c) => c.removeMembers(await resolveGroup(c, name), members));
      out().print(`removed ${members.join(', ')} from ${name}`, { type: 'group-removed', name, members });
    });
  group
    .command('admin')
    .argument('<name>')
    .argument('<member>')
    .description("make a member an admin too (only admins add and remove members)")
    .action(async (name: string, member: string) => {
      await withClient(globals(), async (c) => c.makeGroupAdmin(await resolveGroup(c, name), member));
      out().print(`${member} is now an admin of ${name}`, { type: 'group-admin', name, member });
    });
  group
    .command('info')
    .argument('<name>')
    .description('the members of a group, its admins marked')
    .action(async (name: string) => {
      const { groupId, members, admins, inCall } = await withClient(globals(), async (c) => {
        const id = await resolveGroup(c, name);
        return { groupId: id, members: await c.members(id), admins: await c.groupAdmins(id), inCall: [...new Set((await c.groupCalls.inProgress(id)).map((p) => p.user))] };
      });
      const lines = members.map((member) => `  ${member}${admins.includes(member) ? '\tadmin' : ''}`);
      const call = inCall.length > 0 ? [`call in progress: ${inCall.join(', ')} (sotto group call ${name} to join)`] : [];
      out().print([`${name}\t${groupId.slice(0, 16)}`, ...lines, ...call].join('\n'), { type: 'group-info', name, groupId, members, admins, inCall });
    });
  group
    .command('rename')
    .argument('<name>')
    .argument('<new-name...>')
    .description('rename a group for every member')
    .action(async (name: string, words: string[]) => {
      const renamed = words.join(' ');
      await withClient(globals(), async (c) => c.renameGroup(await resolveGroup(c, name), renamed));
      out().print(`renamed ${name} to ${renamed}`, { type: 'group-renamed', name, to: renamed });
    });
  registerGroupCallCommand(group, globals);
  group
    .command('leave')
    .argument('<name>')
    .action(async (name: string) => {
      await withClient(globals(), async (c) => c.leave(await resolveGroup(c, name)));
      out().print(`left ${name}`, { type: 'group-left', name });
    });
  group
    .command('send')
    .argument('<name>')
    .argument('[text...]', 'the message (with --file: its caption)')
    .option('--file <path>', 'send this file to the group, end-to-end encrypted')
    .option('--voice <file.wav>', 'send this recording to the group as a voice note')
    .option('--as-file', 'with --file: send a photo as it is, as a plain file (not re-encoded, metadata included)')
    .action(async (name: string, words: string[], opts: { file?: string; voice?: string; asFile?: boolean }) => {
      const text = words.join(' ');
      if (opts.voice !== undefined) {
        await withClient(globals(), async (c) => sendVoiceNote(c, await resolveGroup(c, name, text || undefined), opts.voice!, text, out(), { group: name }));
        return;
      }
      if (opts.file !== undefined) {
        await withClient(globals(), async (c) => sendFile(c, await resolveGroup(c, name, text || undefined), opts.file!, text, out(), { group: name }, opts.asFile === true));
        return;
      }
      if (!text) throw new ClientError('INVALID_INPUT', 'Nothing to send.');
      const sent = await withClient(globals(), async (c) => c.sendText(await resolveGroup(c, name, text), text));
      out().print(`sent ${sent.messageId}`, { type: 'sent', messageId: sent.messageId, group: name });
    });
  group
    .command('list')
    .action(async () => {
      const all = await withClient(globals(), (c) => c.listConversations());
      for (const conv of all.filter((c) => c.kind === 'group')) {
        out().print(`${conv.name}\t${conv.groupId.slice(0, 16)}\tepoch ${conv.epoch}${conv.active ? '' : '\t(left)'}`, {
          name: conv.name, groupId: conv.groupId, epoch: conv.epoch.toString(), active: conv.active,
        });
      }
    });

  program
    .command('sync')
    .description('fetch and print everything waiting, then exit')
    .action(async () => {
      const printer = { current: undefined as ReturnType<typeof attachPrinter> | undefined };
      await withClient(globals(), async () => undefined, {
        before: (c) => {
          printer.current = attachPrinter(c, out());
        },
      });
      await printer.current?.flush();
    });

  addMediaOptions(
    program
      .command('listen')
      .description('print what arrives until interrupted; calls ring (and are logged) unless answered by a flag')
      .option('--accept-calls', "answer every contact's call automatically (an explicit opt-in, for bots)")
      .option('--decline-calls', "decline every contact's call automatically")
      .option('--join-calls', "join a group's call when a member starts one, and leave when the others have (an explicit opt-in, for bots; audio only)")
      .option('--seconds <n>', 'with --accept-calls or --join-calls: hang up (leave) this many seconds after a call connects'),
  ).action(async (opts: CallMediaFlags & { acceptCalls?: boolean; declineCalls?: boolean; joinCalls?: boolean; seconds?: string }) => {
      const g = globals();
      if (opts.acceptCalls && opts.declineCalls) throw new ClientError('INVALID_INPUT', 'Choose --accept-calls or --decline-calls, not both.');
      const seconds = parseSeconds(opts.seconds, '--seconds');
      const { openNodeClient } = await import('@sotto/client-node');
      const client = await openNodeClient({
        profileDir: profileDir(g), logLevel: g.logLevel ?? 'warn', reconnect: true, calls: await callsConfig(opts),
        ...(opts.joinCalls ? { groupCalls: await groupCallsConfig(opts) } : {}),
      });
      const output = out();
      if (opts.joinCalls) await joinGroupCallsWhenStarted(client, output, opts, seconds);
      attachPrinter(client, output, { connection: true });
      attachSendNotices(client, output);
      attachCallPrinter(client, output, { hangUpAfterSeconds: seconds });
      client.calls.events.didRing.event(({ callId, peer }) => {
        const video = client.calls.current.kind === 'incoming-ringing' && client.calls.current.media === 'video';
        output.print(`incoming ${video ? 'video ' : ''}call from ${peer}`, { type: 'call', state: 'ringing', callId, peer, media: video ? 'video' : 'audio' });
        // The CLI has no camera and shows no video: a video call is answered with voice, and the peer sees "no video".
        if (video && opts.acceptCalls) output.print('answering with voice only: the command line has no video', { type: 'call', state: 'voice-only', callId });
        const answer = opts.acceptCalls
          ? client.calls.accept(opts.relayOnly === undefined ? {} : { relayOnly: opts.relayOnly })
          : opts.declineCalls ? client.calls.decline() : undefined;
        answer?.catch((error: unknown) => output.print(`could not answer: ${error instanceof Error ? error.message : String(error)}`, { type: 'call-error' }));
      });
      client.calls.events.didChangeCall.event((state) => {
        if (state.kind === 'ended') output.print(describeEnd(state), callEndRecord(state));
      });
      await client.connect();
      const stop = () => {
        client.close().then(() => process.exit(0), () => process.exit(1));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      await new Promise(() => undefined);
    });

  program
    .command('messages')
    .description('print the stored messages of a conversation (a contact or a group)')
    .argument('<name>')
    .option('--limit <n>', 'newest messages to show', '50')
    .action(async (name: string, opts: { limit: string }) => {
      const messages = await withClient(globals(), async (c) => {
        const direct = await c.listDirectMessages(name, Number(opts.limit));
        const shown = direct.length > 0 ? direct : await c.listMessages(await resolveGroupToRead(c, name), Number(opts.limit));
        // Printing them is the member reading them: the senders get a read receipt, as in the web app
        // (not into a group this device has left: it can send nothing there).
        const active = new Set((await c.listConversations()).filter((conv) => conv.active).map((conv) => conv.groupId));
        for (const groupId of new Set(shown.map((m) => m.groupId))) if (active.has(groupId)) await c.markRead(groupId);
        return shown;
      });
      for (const m of messages) out().print(formatMessage(name, m), messageRecord(name, m));
    });

  program
    .command('verify')
    .description("show the safety number to compare with a contact's; --mark once you compared it, --unmark to forget")
    .argument('<username>')
    .option('--mark', 'mark this contact verified (you compared the number)')
    .option('--unmark', 'forget that you verified this contact')
    .action(async (username: string, opts: { mark?: boolean; unmark?: boolean }) => {
      const { number, status } = await withClient(globals(), async (c) => {
        if (opts.mark || opts.unmark) await c.markVerified(username, opts.mark === true);
        return { number: await c.safetyNumber(username), status: await c.verification(username) };
      });
      const said = status === 'verified' ? 'You verified this number.' : status === 'changed'
        ? 'This number CHANGED since you verified it: compare it again before trusting this chat.'
        : `Compare it with ${username} in person or on a call; if it differs, someone is in between.`;
      out().print(`Safety number with ${username}:\n${formatSafetyNumber(number)}\n${said}`, { username, safetyNumber: number, verification: status });
    });
}

/** Sends each stdin line with up to `window` messages in flight, printing acks as they come. */
async function streamLines(client: SottoClient, username: string, window: number, out: Output): Promise<void> {
  const conversation = await resolveDirect(client, username);
  const inFlight = new Set<Promise<void>>();
  let line = 0;
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const text of lines) {
    if (!text) continue;
    const n = ++line;
    // Not awaited: sendText joins the engine queue at once, so lines go out in order, `window` at a time.
    const job = client.sendText(conversation, text).then(
      (sent) => out.print(`ack ${n} ${sent.messageId}`, { type: 'ack', line: n, messageId: sent.messageId, text }),
      (error: unknown) => out.print(`failed ${n}`, { type: 'failed', line: n, error: error instanceof Error ? error.message : String(error) }),
    );
    inFlight.add(job);
    void job.finally(() => inFlight.delete(job));
    if (inFlight.size >= window) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
}
