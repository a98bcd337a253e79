/**
 * @module commands/advisories
 * Security advisories: the operator signs them with a key kept off the server's database
 * (`sotto admin advisory keygen|publish|list`); members see them (`sotto advisories`, and live
 * in `sotto listen`), verified against the operator key their client pinned.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { AdvisorySchema, advisoryTranscript, checkAdvisory, create, fromBinary, SignedAdvisorySchema, toBinary } from '@sotto/protocol';
import { ClientError } from '@sotto/core';
import { createOutput, type Output } from '../output.js';
import { printAdvisory } from '../printer.js';
import { withClient, type GlobalOptions } from '../profile.js';
import { openAdminHandle } from './admin-handle.js';

interface AdminOptions {
  data: string;
  db?: string;
}

function adminHandle(opts: AdminOptions) {
  return openAdminHandle(opts);
}

/** Writes a new Ed25519 key (PKCS#8 PEM, mode 0600) and returns its raw 32-byte public key. */
function newOperatorKey(path: string): Uint8Array {
  if (existsSync(path)) throw new ClientError('INVALID_INPUT', `${path} exists; advisory keys are never overwritten.`);
  const pair = generateKeyPairSync('ed25519');
  writeFileSync(path, pair.privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
  return new Uint8Array(Buffer.from(pair.publicKey.export({ format: 'jwk' }).x!, 'base64url'));
}

export function registerAdminAdvisory(admin: Command, json: () => boolean, options: { data: readonly [string, string, string]; db: readonly [string, string, string | undefined] }): void {
  const advisory = admin.command('advisory').description('security advisories signed with the operator key');
  advisory
    .command('keygen')
    .description('make the operator advisory key: the private key goes to --key (keep it off the server), the public key to the server')
    .requiredOption('--key <file>', 'where to write the private key (PKCS#8 PEM, mode 0600)')
    .option(...options.data)
    .option(...options.db)
    .action(async (opts: AdminOptions & { key: string }) => {
      const publicKey = newOperatorKey(opts.key);
      const handle = await adminHandle(opts);
      try {
        await handle.setAdvisoryKey(publicKey);
      } finally {
        await handle.close();
      }
      const hex = Buffer.from(publicKey).toString('hex');
      createOutput(json()).print(`advisory key set; public key ${hex}`, { type: 'advisory-key', publicKey: hex });
    });

  advisory
    .command('publish')
    .description('sign an advisory with the operator key and publish it to every member')
    .requiredOption('--key <file>', 'the operator private key made by keygen')
    .requiredOption('--title <text>', 'a short title (up to 120 characters)')
    .requiredOption('--text <text>', 'what happened and what to do (up to 2,000 characters)')
    .option('--fixed-version <version>', 'clients below this version are affected and told to update')
    .option(...options.data)
    .option(...options.db)
    .action(async (opts: AdminOptions & { key: string; title: string; text: string; fixedVersion?: string }) => {
      const privateKey = createPrivateKey(readFileSync(opts.key));
      const id = new Uint8Array(randomBytes(16));
      const encoded = toBinary(AdvisorySchema, create(AdvisorySchema, {
        id, publishedAt: BigInt(Date.now()), title: opts.title, text: opts.text, fixedVersion: opts.fixedVersion ?? '',
      }));
      const check = checkAdvisory(encoded);
      if (!check.ok) throw new ClientError('INVALID_INPUT', `${check.reason}.`);
      const signature = new Uint8Array(sign(null, advisoryTranscript(encoded), privateKey));
      const handle = await adminHandle(opts);
      try {
        await handle.publishAdvisory(create(SignedAdvisorySchema, { advisory: encoded, signature }));
      } finally {
        await handle.close();
      }
      const hex = Buffer.from(id).toString('hex');
      createOutput(json()).print(`published advisory ${hex}`, { type: 'advisory-published', id: hex });
    });

  advisory
    .command('list')
    .description('the advisories the server hands out (newest 20)')
    .option(...options.data)
    .option(...options.db)
    .action(async (opts: AdminOptions) => {
      const handle = await adminHandle(opts);
      try {
        const out = createOutput(json());
        for (const signed of await handle.listAdvisories()) {
          const a = fromBinary(AdvisorySchema, signed.advisory);
          const id = Buffer.from(a.id).toString('hex');
          out.print(`${new Date(Number(a.publishedAt)).toISOString()} ${id} ${a.title}${a.fixedVersion ? ` (fixed in ${a.fixedVersion})` : ''}`, {
            type: 'advisory', id, title: a.title, text: a.text, fixedVersion: a.fixedVersion, publishedAt: Number(a.publishedAt),
          });
        }
      } finally {
        await handle.close();
      }
    });
}

export function registerAdvisories(program: Command, globals: () => GlobalOptions, out: () => Output): void {
  program
    .command('advisories')
    .description("the operator's security advisories, verified with the operator key this profile pinned")
    .action(async () => {
      const output = out();
      const list = await withClient(globals(), async (c) => {
        await c.idle();
        return c.advisories.list();
      }, {
        before: (c) => c.advisories.didRefuse.event((r) =>
          output.print(`refused a security advisory: ${r.reason}`, { type: 'advisory-refused', reason: r.reason })),
      });
      if (list.length === 0) output.print('no security advisories', { type: 'advisories', count: 0 });
      for (const a of list) printAdvisory(output, a);
    });
}
