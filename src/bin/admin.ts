import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { loadJwtKeys } from '../auth/keys';
import { ROLES, signUserToken } from '../auth/tokens';
import { Config, loadConfig } from '../config';
import { createDb, Db } from '../db/knex';
import { embeddedPostgresUrl } from '../dev/embeddedPostgres';
import { DomainError } from '../services/errors';
import { callbackUrlSchema, createOrganisation, getOrganisation, orgIdSchema, updateOrganisation } from '../services/organisations';
import { createPassDesign, defaultPresentation } from '../services/passDesigns';
import { listCallbacks, retryCallback } from '../services/callbacks/operations';
import { parseMonthKey } from '../domain/reportingPeriod';
import { connectClient } from '../temporal/client';
import { stewardDataConverter } from '../temporal/codec';
import { startInvoicingRun } from '../temporal/schedules';
import { DCI_COMMANDS, DCI_FLAGS, DCI_USAGE, runDciCommand } from './adminDci';
import { createOAuthClient } from '../services/consumers/oauthClients';
import { createAccount, createCard, createDigitalCard, createIssuer, registerConsumer } from '../services/consumers/registry';
import { consumerIdSchema, issuerIdSchema } from '../services/consumers/schemas';

/**
 * `npm run admin -- <command>`: the operator CLI standing in for the seeds' web portal.
 * Each command validates its flags, does one thing and prints what it did.
 */

const USAGE = `Usage: npm run admin -- <command> [flags]

  org create --id <id> --name <name> [--callback-url <url>] [--price-per-pass <n>]
  org update --id <id> [--name <name>] [--callback-url <url>|--no-callback-url] [--price-per-pass <n>]
  org show   --id <id>
  design create --org <id> --title <title> --prefix <digits> --fields <key,key,...>
                [--card-number-length <n>] [--reserve <start-end>]...
  token --org <id> --email <email> --roles <Owner,Admin,Pass-Issuer,Api-Dev> [--expires <30d>]
  callback list  --org <id> [--status pending|retrying|delivered|failed] [--limit <n>]
  callback retry --id <deliveryId>
  invoices run   --month <YYYY-MM>
  issuer create  --id <10 characters> --name <name> --org <organisation id>
  oauth-client create --issuer <issuerId>          (prints client_id and client_secret, once)
  consumer create --issuer <issuerId> --id <consumerId> [--name <name>] [--email <email>]
  account create  --issuer <issuerId> --consumer <consumerId> --ref <account reference>
  card create     --account <accountId> --ref <card reference> [--name <cardholder>] [--last4 <digits>]
  digital-card create --card <cardId> --serial <pass serial number>${DCI_USAGE}

PostgreSQL: DATABASE_URL, else the embedded one that \`npm start\` runs.
Temporal (callback retry, invoices run): TEMPORAL_ADDRESS, else the dev server of \`npm start\`;
workflows go to TEMPORAL_TASK_QUEUE (default steward).`;

class UsageError extends Error {}

const FLAGS = {
  id: { type: 'string' },
  name: { type: 'string' },
  'callback-url': { type: 'string' },
  'no-callback-url': { type: 'boolean' },
  'price-per-pass': { type: 'string' },
  org: { type: 'string' },
  title: { type: 'string' },
  prefix: { type: 'string' },
  fields: { type: 'string' },
  'card-number-length': { type: 'string' },
  reserve: { type: 'string', multiple: true },
  email: { type: 'string' },
  roles: { type: 'string' },
  expires: { type: 'string' },
  status: { type: 'string' },
  limit: { type: 'string' },
  month: { type: 'string' },
  issuer: { type: 'string' },
  consumer: { type: 'string' },
  ref: { type: 'string' },
  account: { type: 'string' },
  card: { type: 'string' },
  serial: { type: 'string' },
  last4: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  ...DCI_FLAGS,
} as const;

type Flags = Record<string, unknown>;

/** Validates flags with zod; errors name the flag (--callback-url) and the rule. */
function parseFlags<T extends z.ZodRawShape>(shape: T, flags: Flags): z.infer<z.ZodObject<T>> {
  const r = z.object(shape).safeParse(flags);
  if (!r.success) {
    throw new UsageError(r.error.issues.map((i) => `--${String(i.path[0])}: ${i.message}`).join('\n'));
  }
  return r.data;
}

const required = (what: string) => z.string({ error: `is required (${what})` }).trim().min(1, `is required (${what})`);
const count = z.coerce.number().int().positive('must be a positive integer');
const range = z
  .string()
  .regex(/^\d+-\d+$/, 'must be <start>-<end>, e.g. 5000-5999')
  .transform((r) => {
    const [start, end] = r.split('-').map(Number);
    return { start, end };
  })
  .refine((r) => r.end >= r.start, 'end must not be below start');

async function withDb<T>(config: Config, fn: (db: Db) => Promise<T>): Promise<T> {
  const url = config.databaseUrl ?? embeddedPostgresUrl(config.embeddedPostgresPort, 'steward');
  const db = createDb(url, { max: 2 });
  try {
    await db.raw('select 1').catch((err) => {
      throw new UsageError(`cannot reach PostgreSQL at ${url.replace(/:[^:@]+@/, ':***@')} (${err.message}). Is \`npm start\` running, or DATABASE_URL set?`);
    });
    return await fn(db);
  } finally {
    await db.destroy();
  }
}

async function withTemporal<T>(config: Config, fn: (client: Client) => Promise<T>): Promise<T> {
  const address = config.temporal.address ?? `localhost:${config.temporal.devPort}`;
  const client = await connectClient({ address, namespace: config.temporal.namespace, dataConverter: stewardDataConverter(config) }).catch((err: Error) => {
    throw new UsageError(`cannot reach Temporal at ${address} (${err.message}). Is \`npm start\` running, or TEMPORAL_ADDRESS set?`);
  });
  try {
    return await fn(client);
  } finally {
    await client.connection.close();
  }
}

function printOrg(org: { id: string; name: string; callback_url: string | null; webhook_secret: string; price_per_pass: number }) {
  console.log(`  id:             ${org.id}`);
  console.log(`  name:           ${org.name}`);
  console.log(`  callback URL:   ${org.callback_url ?? '(none: results are recorded and emailed via the outbox)'}`);
  console.log(`  price per pass: ${org.price_per_pass}`);
  console.log(`  webhook secret: ${org.webhook_secret}   (verify callbacks with Standard Webhooks)`);
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: FLAGS, allowPositionals: true, strict: true });
  const command = positionals.join(' ');
  if (values.help || !command) {
    console.log(USAGE);
    return;
  }
  const config = loadConfig();

  switch (command) {
    case 'org create': {
      const f = parseFlags(
        { id: orgIdSchema, name: required('the display name'), 'callback-url': callbackUrlSchema.optional(), 'price-per-pass': count.optional() },
        values,
      );
      const org = await withDb(config, async (db) => {
        if (await getOrganisation(db, f.id)) throw new UsageError(`--id: organisation "${f.id}" already exists`);
        return createOrganisation(db, { id: f.id, name: f.name, callbackUrl: f['callback-url'], pricePerPass: f['price-per-pass'] });
      });
      console.log(`Created organisation ${org.id}:`);
      printOrg(org);
      return;
    }
    case 'org update': {
      const f = parseFlags(
        {
          id: orgIdSchema,
          name: z.string().trim().min(1).optional(),
          'callback-url': callbackUrlSchema.optional(),
          'no-callback-url': z.boolean().optional(),
          'price-per-pass': count.optional(),
        },
        values,
      );
      if (f['callback-url'] && f['no-callback-url']) throw new UsageError('--callback-url and --no-callback-url exclude each other');
      const org = await withDb(config, (db) =>
        updateOrganisation(db, f.id, {
          name: f.name,
          callbackUrl: f['no-callback-url'] ? null : f['callback-url'],
          pricePerPass: f['price-per-pass'],
        }),
      );
      if (!org) throw new UsageError(`--id: no organisation "${f.id}"`);
      console.log(`Updated organisation ${org.id}:`);
      printOrg(org);
      return;
    }
    case 'org show': {
      const f = parseFlags({ id: orgIdSchema }, values);
      const org = await withDb(config, (db) => getOrganisation(db, f.id));
      if (!org) throw new UsageError(`--id: no organisation "${f.id}"`);
      printOrg(org);
      return;
    }
    case 'design create': {
      const f = parseFlags(
        {
          org: orgIdSchema,
          title: required('the pass design title'),
          prefix: z.string({ error: 'is required' }).regex(/^\d{1,10}$/, 'must be 1-10 digits'),
          fields: z
            .string({ error: 'is required (comma-separated dynamic field keys)' })
            .transform((s) => s.split(',').map((k) => k.trim()).filter(Boolean))
            .pipe(z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'each key must be a letter or _ then letters, digits or _')).min(1, 'needs at least one key')),
          'card-number-length': z.coerce.number().int().min(4, 'must be 4-15').max(15, 'must be 4-15').optional(),
          reserve: z.array(range).optional(),
        },
        values,
      );
      const design = await withDb(config, async (db) => {
        const org = await getOrganisation(db, f.org);
        if (!org) throw new UsageError(`--org: no organisation "${f.org}" (create it with: org create)`);
        return createPassDesign(db, {
          organisationId: org.id,
          title: f.title,
          prefix: f.prefix,
          dynamicFieldKeys: f.fields,
          actor: 'admin-cli',
          presentation: defaultPresentation(org.name, f.title, f.fields, config.publicBaseUrl),
          cardNumberLength: f['card-number-length'],
          reservedRanges: f.reserve,
        });
      });
      console.log(`Created pass design "${design.title}" for ${f.org}: serial prefix ${design.serial_prefix}, fields ${f.fields.join(', ')}`);
      return;
    }
    case 'token': {
      const f = parseFlags(
        {
          org: orgIdSchema,
          email: z.string({ error: 'is required' }).email('must be an email address'),
          roles: z
            .string({ error: `is required (${ROLES.join(', ')})` })
            .transform((s) => s.split(',').map((r) => r.trim()))
            .pipe(z.array(z.enum(ROLES, { error: `each role must be one of ${ROLES.join(', ')}` })).min(1)),
          expires: z.string().regex(/^\d+[smhdw]$/, 'must look like 30d, 12h or 90m').optional(),
        },
        values,
      );
      await withDb(config, async (db) => {
        if (!(await getOrganisation(db, f.org))) throw new UsageError(`--org: no organisation "${f.org}"`);
      });
      const keys = await loadJwtKeys(config);
      const token = await signUserToken(keys, { org: f.org, email: f.email, roles: f.roles }, {
        issuer: config.jwt.issuer,
        audience: config.jwt.audience,
        expiresIn: f.expires ?? '30d',
      });
      console.error(`Token for ${f.email} (${f.roles.join(', ')}) in ${f.org}, valid ${f.expires ?? '30d'}:`);
      console.log(token);
      return;
    }
    case 'callback list': {
      const f = parseFlags(
        {
          org: orgIdSchema,
          status: z.enum(['pending', 'retrying', 'delivered', 'failed'], { error: 'must be pending, retrying, delivered or failed' }).optional(),
          limit: z.coerce.number().int().min(1, 'must be 1-500').max(500, 'must be 1-500').optional(),
        },
        values,
      );
      const rows = await withDb(config, (db) => listCallbacks(db, { organisationId: f.org, status: f.status, limit: f.limit ?? 50 }));
      if (rows.length === 0) console.log(`No callbacks for ${f.org}${f.status ? ` with status ${f.status}` : ''}.`);
      for (const r of rows) {
        console.log(`${r.id}  ${r.kind}  ${r.status}  attempts=${r.attempts}  created=${r.created_at.toISOString()}${r.last_error ? `  last error: ${r.last_error}` : ''}`);
      }
      return;
    }
    case 'callback retry': {
      const f = parseFlags({ id: required('the delivery ID, from: callback list') }, values);
      const r = await withDb(config, (db) => withTemporal(config, (client) => retryCallback(db, client, config.temporal.taskQueue, f.id)));
      console.log(`Callback ${f.id} (was ${r.previousStatus}) is being delivered again: workflow ${f.id}, run ${r.runId}`);
      return;
    }
    case 'invoices run': {
      const f = parseFlags({ month: z.string({ error: 'is required (YYYY-MM)' }).refine((m) => parseMonthKey(m) !== null, 'must be a month such as 2026-10') }, values);
      const handle = await withTemporal(config, (client) => startInvoicingRun(client, config.temporal.taskQueue, f.month));
      console.log(`Invoicing of ${f.month} started: workflow ${handle.workflowId}`);
      return;
    }
    case 'issuer create': {
      const f = parseFlags({ id: issuerIdSchema, name: required('the issuer name'), org: orgIdSchema }, values);
      const issuer = await withDb(config, (db) => createIssuer(db, { id: f.id, name: f.name, organisationId: f.org }));
      console.log(`Created issuer ${issuer.id} (${issuer.name}), digital cards are passes of ${issuer.organisation_id}`);
      return;
    }
    case 'oauth-client create': {
      const f = parseFlags({ issuer: issuerIdSchema }, values);
      const c = await withDb(config, (db) => createOAuthClient(db, f.issuer));
      console.error(`OAuth client for issuer ${f.issuer} (the secret is shown only now; POST /oauth/token with grant_type=client_credentials):`);
      console.log(`client_id=${c.clientId}`);
      console.log(`client_secret=${c.clientSecret}`);
      return;
    }
    case 'consumer create': {
      const f = parseFlags({ issuer: issuerIdSchema, id: consumerIdSchema, name: z.string().optional(), email: z.string().email('must be an email address').optional() }, values);
      await withDb(config, (db) => registerConsumer(db, { issuerId: f.issuer, consumerId: f.id, name: f.name, email: f.email }));
      console.log(`Registered consumer ${f.id} of issuer ${f.issuer}`);
      return;
    }
    case 'account create': {
      const f = parseFlags({ issuer: issuerIdSchema, consumer: consumerIdSchema, ref: required('the account reference') }, values);
      const a = await withDb(config, (db) => createAccount(db, { issuerId: f.issuer, consumerId: f.consumer, accountRef: f.ref }));
      console.log(`Created account ${a.id} (${a.account_ref}) of consumer ${f.consumer}`);
      return;
    }
    case 'card create': {
      const f = parseFlags({ account: z.string({ error: 'is required' }).uuid('must be an account ID'), ref: required('the card reference'), name: z.string().optional(), last4: z.string().regex(/^\d{4}$/, 'must be 4 digits').optional() }, values);
      const c = await withDb(config, (db) => createCard(db, { accountId: f.account, cardRef: f.ref, cardholderName: f.name, panLast4: f.last4 }));
      console.log(`Created card ${c.id} (${c.card_ref}) on account ${f.account}`);
      return;
    }
    case 'digital-card create': {
      const f = parseFlags({ card: z.string({ error: 'is required' }).uuid('must be a card ID'), serial: required('the pass serial number') }, values);
      const d = await withDb(config, (db) => createDigitalCard(db, { cardId: f.card, serialNumber: f.serial }));
      console.log(`Created digital card ${d.id}: card ${f.card} is pass ${f.serial}`);
      return;
    }
    default:
      if (DCI_COMMANDS.includes(command)) return runDciCommand(command, values, config, { parseFlags, withDb, usageError: (m) => new UsageError(m) });
      throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err) => {
    if (err instanceof UsageError || err instanceof DomainError) console.error(`error: ${err.message}`);
    else if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) console.error(`error: ${(err as Error).message}\n\n${USAGE}`);
    else console.error(err);
    process.exit(2);
  },
);
