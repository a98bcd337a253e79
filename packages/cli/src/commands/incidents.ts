/**
 * @module commands/incidents
 * The operator's side of attack detection: `sotto admin incidents` (list, show with evidence,
 * lift or uphold), `sotto admin restrict|unrestrict USER`, and `sotto admin audit`.
 */
import type { Command } from 'commander';
import type { Admin, AuditRecord, IncidentRecord } from '@sotto/server';
import { AnomalyKind } from '@sotto/protocol';
import { ClientError } from '@sotto/core';
import { createOutput } from '../output.js';
import { wholeNumber } from '../option-values.js';
import { openAdminHandle } from './admin-handle.js';

type OptionSpec = readonly [string, string, string | undefined];

const RULE_WORDS: Record<string, string> = {
  'many-targets': 'one sender, anomalies reported by several members',
  'many-kinds': 'one sender, several kinds of anomaly',
  'rate-limit-flood': 'one sender kept hitting rate limits',
  'fresh-account-burst': 'several new accounts aimed at one member',
};

function kindName(kind: AnomalyKind): string {
  return (AnomalyKind[kind] ?? `KIND_${kind}`).toLowerCase().replace(/_/g, '-');
}

function incidentLine(incident: IncidentRecord): string {
  return `${incident.id}\t${incident.status}\t${new Date(incident.openedAt).toISOString()}\t${incident.rule}\t${incident.subjects.length} restricted, ${incident.targets.length} targeted`;
}

function incidentRecord(incident: IncidentRecord): Record<string, unknown> {
  return { ...incident, evidence: incident.evidence.map((e) => ({ ...e, kind: kindName(e.kind) })) };
}

function printIncident(incident: IncidentRecord, json: boolean): void {
  const out = createOutput(json);
  if (json) return out.print('', incidentRecord(incident));
  const lines = [
    `incident ${incident.id} (${incident.status})`,
    `rule:       ${incident.rule}: ${RULE_WORDS[incident.rule] ?? ''}`,
    `opened:     ${new Date(incident.openedAt).toISOString()}   updated: ${new Date(incident.updatedAt).toISOString()}`,
    `restricted: ${incident.subjects.join(', ') || '-'}`,
    `targeted:   ${incident.targets.join(', ') || '-'} (each was sent a threat notification)`,
    'evidence (reporter "server" = seen by the server itself):',
    ...incident.evidence.map(
      (e) => `  ${e.sender} -> ${e.reporter || 'server'}${e.target ? ` (aiming at ${e.target})` : ''}: ${kindName(e.kind)} x${e.count}, ${new Date(e.firstAt).toISOString()} .. ${new Date(e.lastAt).toISOString()}`,
    ),
    ...(incident.note ? [`note:       ${incident.note}`] : []),
  ];
  out.print(lines.join('\n'), {});
}

function auditLine(entry: AuditRecord): string {
  return `${new Date(entry.at).toISOString()}\t${entry.actor}\t${entry.action}\t${entry.target || '-'}\t${entry.detail}`;
}

export function registerAdminIncidents(admin: Command, json: () => boolean, options: { data: OptionSpec; db: OptionSpec }): void {
  const withAdmin = async <T>(opts: { data: string; db?: string }, run: (handle: Admin) => Promise<T>): Promise<T> => {
    const handle = await openAdminHandle(opts);
    try {
      return await run(handle);
    } finally {
      await handle.close();
    }
  };

  const incidents = admin
    .command('incidents')
    .description('attacks the server noticed: list them (open ones by default), show one, lift or uphold it')
    .option(...options.data)
    .option(...options.db)
    .option('--all', 'list resolved incidents too')
    .action(async (opts: { data: string; db?: string; all?: boolean }) =>
      withAdmin(opts, async (handle) => {
        const list = await handle.listIncidents(opts.all ? undefined : 'open');
        const out = createOutput(json());
        if (list.length === 0 && !json()) out.print(opts.all ? 'no incidents' : 'no open incidents', {});
        for (const incident of list) out.print(incidentLine(incident), incidentRecord(incident));
      }),
    );

  incidents
    .command('show')
    .description('one incident with its evidence')
    .argument('<id>')
    .option(...options.data)
    .option(...options.db)
    .action(async (id: string, opts: { data: string; db?: string }) =>
      withAdmin(opts, async (handle) => {
        const incident = await handle.getIncident(id);
        if (!incident) throw new ClientError('INVALID_INPUT', `No incident ${id}.`);
        printIncident(incident, json());
      }),
    );

  for (const [verb, verdict, help] of [
    ['lift', 'lifted', 'a false alarm: lift the restrictions it made'],
    ['uphold', 'upheld', 'a real attack: keep its accounts restricted'],
  ] as const) {
    incidents
      .command(verb)
      .description(help)
      .argument('<id>')
      .requiredOption('--note <text>', 'why: kept in the incident and the audit log')
      .option(...options.data)
      .option(...options.db)
      .action(async (id: string, opts: { data: string; db?: string; note: string }) =>
        withAdmin(opts, async (handle) => printIncident(await handle.resolveIncident(id, verdict, opts.note), json())),
      );
  }

  for (const [verb, restricted] of [
    ['restrict', true],
    ['unrestrict', false],
  ] as const) {
    admin
      .command(verb)
      .description(restricted ? 'stop an account from reaching anyone, pending review' : 'lift a restriction')
      .argument('<username>')
      .requiredOption('--reason <text>', 'why: kept in the audit log')
      .option(...options.data)
      .option(...options.db)
      .action(async (username: string, opts: { data: string; db?: string; reason: string }) =>
        withAdmin(opts, async (handle) => {
          await handle.setRestricted(username, restricted, opts.reason);
          createOutput(json()).print(`${username} ${restricted ? 'restricted' : 'no longer restricted'}`, { username, restricted });
        }),
      );
  }

  admin
    .command('audit')
    .description('operator and server actions, newest first')
    .option(...options.data)
    .option(...options.db)
    .option('--limit <n>', 'how many entries (1-10000)', '50')
    .action(async (opts: { data: string; db?: string; limit: string }) => {
      const limit = wholeNumber(opts.limit, '--limit', { min: 1, max: 10_000 });
      return withAdmin(opts, async (handle) => {
        const out = createOutput(json());
        for (const entry of await handle.listAudit(limit)) out.print(auditLine(entry), { ...entry });
      });
    });
}
