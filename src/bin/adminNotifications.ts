import { z } from 'zod';
import { addOrganisationUser, listOrganisationUsers, removeOrganisationUser, RESULT_ROLES, rolesSchema, userEmailSchema } from '../notifications/users';
import { listNotifications, retryNotifications } from '../notifications/operations';
import { orgIdSchema } from '../services/organisations';
import { Command, command, UsageError, withDb, withTemporal } from './commandTable';

/** The admin CLI's notification and organisation-user commands: entries of admin.ts's table. */
export const NOTIFICATION_COMMANDS: Command[] = [
  command('notification list --org <id> [--status pending|sent|failed] [--kind pass-delivery|results|invitation|verification-code|report] [--reference <id>] [--limit 50]', 'emails and SMS of an organisation, newest first: status, attempts, last error, provider message ID', {
    org: orgIdSchema,
    status: z.enum(['pending', 'sent', 'failed'], { error: 'must be pending, sent or failed' }).optional(),
    kind: z.enum(['pass-delivery', 'results', 'invitation', 'verification-code', 'report', 'message'], { error: 'must be pass-delivery, results, invitation, verification-code, report or message' }).optional(),
    reference: z.string().min(1).optional(),
    limit: z.coerce.number().int().min(1, 'must be 1-500').max(500, 'must be 1-500').optional(),
  }, async (f, config) => {
    const rows = await withDb(config, (db) => listNotifications(db, { organisationId: f.org, status: f.status, kind: f.kind, reference: f.reference, limit: f.limit ?? 50 }));
    if (!rows.length) console.log(`No notifications for ${f.org}${f.status ? ` with status ${f.status}` : ''}.`);
    for (const r of rows) {
      console.log(
        `${r.id}  ${r.kind}  ${r.channel}  ${r.recipient || '(erased)'}  ${r.status}  attempts=${r.attempts}  created=${r.created_at.toISOString()}` +
          (r.sent_at ? `  sent=${r.sent_at.toISOString()}` : '') +
          (r.provider_message_id ? `  provider-id=${r.provider_message_id}` : '') +
          (r.last_error ? `  last error: ${r.last_error}` : ''),
      );
    }
  }),
  command('notification retry --id <notificationId> | --org <id> [--status failed|pending]', 'sends failed (or stuck) messages again, same Message-ID, with the usual retries', {
    id: z.string().uuid('must be a notification ID (from: notification list)').optional(),
    org: orgIdSchema.optional(),
    status: z.enum(['failed', 'pending'], { error: 'must be failed or pending' }).optional(),
  }, async (f, config) => {
    if (!!f.id === !!f.org) throw new UsageError('give either --id <notificationId> or --org <id>');
    if (f.id && f.status) throw new UsageError('--status goes with --org, not --id');
    const target = f.id ? { id: f.id } : { organisationId: f.org!, status: f.status ?? ('failed' as const) };
    const r = await withDb(config, (db) => withTemporal(config, (client) => retryNotifications(db, client, config.temporal.taskQueue, target)));
    console.log(`${r.messages} message(s) queued again; delivery run(s): ${r.runs.join(', ') || '(none)'}`);
  }),
  command(`user add --org <id> --email <email> --roles <${RESULT_ROLES.join(',')}>`, 'adds an organisation user (or changes its roles): users with these roles get batch results by email', { org: orgIdSchema, email: userEmailSchema, roles: rolesSchema }, async (f, config) => {
    const u = await withDb(config, (db) => addOrganisationUser(db, f.org, f.email, f.roles));
    console.log(`User ${u.email} of ${u.organisation_id}: ${u.roles.join(', ')}`);
  }),
  command('user remove --org <id> --email <email>', 'removes an organisation user', { org: orgIdSchema, email: userEmailSchema }, async (f, config) => {
    const removed = await withDb(config, (db) => removeOrganisationUser(db, f.org, f.email));
    if (!removed) throw new UsageError(`--email: ${f.email} is not a user of ${f.org}`);
    console.log(`Removed ${f.email} from ${f.org}`);
  }),
  command('user list --org <id>', "an organisation's users and their roles", { org: orgIdSchema }, async (f, config) => {
    const users = await withDb(config, (db) => listOrganisationUsers(db, f.org));
    if (!users.length) console.log(`No users in ${f.org} (results go to the job's issuer only).`);
    for (const u of users) console.log(`${u.email}  ${u.roles.join(',')}`);
  }),
];
