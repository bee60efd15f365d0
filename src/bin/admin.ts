import { z } from 'zod';
import { loadJwtKeys } from '../auth/keys';
import { ROLES, signUserToken } from '../auth/tokens';
import { callbackUrlSchema, createOrganisation, getOrganisation, orgIdSchema, updateOrganisation } from '../services/organisations';
import { createPassDesign, defaultPresentation } from '../services/passDesigns';
import { listCallbacks, retryCallback } from '../services/callbacks/operations';
import { parseMonthKey } from '../domain/reportingPeriod';
import { startInvoicingRun } from '../temporal/schedules';
import { DCI_COMMANDS } from './adminDci';
import { IMAGE_USAGE, imageFlags, readImageFlags, storeImages, WALLET_COMMANDS } from './adminWallet';
import { NOTIFICATION_COMMANDS } from './adminNotifications';
import { createOAuthClient } from '../services/consumers/oauthClients';
import { createAccount, createCard, createDigitalCard, createIssuer, registerConsumer } from '../services/consumers/registry';
import { consumerIdSchema, issuerIdSchema } from '../services/consumers/schemas';
import { Command, command, helpText, main, required, UsageError, withDb, withTemporal } from './commandTable';

/**
 * `npm run admin -- <command>`: the operator CLI standing in for the seeds' web portal.
 * Each entry of COMMANDS validates its own flags, does one thing and prints what it did;
 * `npm run admin -- help` lists them. A new command is one more entry (or a table of its own,
 * like adminDci.ts, concatenated below).
 */

const count = z.coerce.number().int().positive('must be a positive integer');
const range = z
  .string()
  .regex(/^\d+-\d+$/, 'must be <start>-<end>, e.g. 5000-5999')
  .transform((r) => {
    const [start, end] = r.split('-').map(Number);
    return { start, end };
  })
  .refine((r) => r.end >= r.start, 'end must not be below start');

function printOrg(org: { id: string; name: string; callback_url: string | null; webhook_secret: string; price_per_pass: number; results_email?: boolean }) {
  console.log(`  id:             ${org.id}`);
  console.log(`  name:           ${org.name}`);
  console.log(`  callback URL:   ${org.callback_url ?? '(none)'}`);
  console.log(`  results email:  ${org.results_email === false ? 'off' : 'on (users with Owner, Admin, Pass-Issuer or Api-Dev roles, and the job issuer)'}`);
  console.log(`  price per pass: ${org.price_per_pass}`);
  console.log(`  webhook secret: ${org.webhook_secret}   (verify callbacks with Standard Webhooks)`);
}

const COMMANDS: Command[] = [
  command('org create --id <id> --name <name> [--callback-url <url>] [--price-per-pass <n>]', 'creates an organisation and its webhook signing secret', { id: orgIdSchema, name: required('the display name'), 'callback-url': callbackUrlSchema.optional(), 'price-per-pass': count.optional() }, async (f, config) => {
    const org = await withDb(config, async (db) => {
      if (await getOrganisation(db, f.id)) throw new UsageError(`--id: organisation "${f.id}" already exists`);
      return createOrganisation(db, { id: f.id, name: f.name, callbackUrl: f['callback-url'], pricePerPass: f['price-per-pass'] });
    });
    console.log(`Created organisation ${org.id}:`);
    printOrg(org);
  }),
  command('org update --id <id> [--name <name>] [--callback-url <url>|--no-callback-url] [--price-per-pass <n>] [--results-email on|off]', 'changes an organisation', {
    id: orgIdSchema,
    name: z.string().trim().min(1).optional(),
    'callback-url': callbackUrlSchema.optional(),
    'no-callback-url': z.boolean().optional(),
    'price-per-pass': count.optional(),
    'results-email': z.enum(['on', 'off'], { error: 'must be on or off' }).optional(),
  }, async (f, config) => {
    if (f['callback-url'] && f['no-callback-url']) throw new UsageError('--callback-url and --no-callback-url exclude each other');
    const org = await withDb(config, (db) =>
      updateOrganisation(db, f.id, {
        name: f.name,
        callbackUrl: f['no-callback-url'] ? null : f['callback-url'],
        pricePerPass: f['price-per-pass'],
        resultsEmail: f['results-email'] === undefined ? undefined : f['results-email'] === 'on',
      }),
    );
    if (!org) throw new UsageError(`--id: no organisation "${f.id}"`);
    console.log(`Updated organisation ${org.id}:`);
    printOrg(org);
  }),
  command('org show --id <id>', 'prints an organisation, with its webhook secret', { id: orgIdSchema }, async (f, config) => {
    const org = await withDb(config, (db) => getOrganisation(db, f.id));
    if (!org) throw new UsageError(`--id: no organisation "${f.id}"`);
    printOrg(org);
  }),
  command(`design create --org <id> --title <title> --prefix <digits> --fields <key,key,...> [--card-number-length <n>] [--reserve <start-end>]... ${IMAGE_USAGE}`, 'creates a pass design and its serial sequence (and its images)', {
    org: orgIdSchema,
    title: required('the pass design title'),
    prefix: z.string({ error: 'is required' }).regex(/^\d{1,10}$/, 'must be 1-10 digits'),
    fields: z
      .string({ error: 'is required (comma-separated dynamic field keys)' })
      .transform((s) => s.split(',').map((k) => k.trim()).filter(Boolean))
      .pipe(z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'each key must be a letter or _ then letters, digits or _')).min(1, 'needs at least one key')),
    'card-number-length': z.coerce.number().int().min(4, 'must be 4-15').max(15, 'must be 4-15').optional(),
    reserve: z.array(range).optional(),
    ...imageFlags,
  }, async (f, config) => {
    const images = readImageFlags(f);
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
      }).then(async (d) => ({ ...d, images: Object.keys(images).length ? await storeImages(db, d.id, images) : '' }));
    });
    console.log(`Created pass design "${design.title}" for ${f.org}: serial prefix ${design.serial_prefix}, fields ${f.fields.join(', ')}${design.images ? `, images ${design.images}` : ''}`);
  }),
  command(`token --org <id> --email <email> --roles <${ROLES.join(',')}> [--expires <30d>]`, 'prints a JWT for the API', {
    org: orgIdSchema,
    email: z.string({ error: 'is required' }).email('must be an email address'),
    roles: z
      .string({ error: `is required (${ROLES.join(', ')})` })
      .transform((s) => s.split(',').map((r) => r.trim()))
      .pipe(z.array(z.enum(ROLES, { error: `each role must be one of ${ROLES.join(', ')}` })).min(1)),
    expires: z.string().regex(/^\d+[smhdw]$/, 'must look like 30d, 12h or 90m').optional(),
  }, async (f, config) => {
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
  }),
  command('callback list --org <id> [--status pending|retrying|delivered|failed] [--limit <n>]', 'recorded callbacks, newest first, with attempts and last error', {
    org: orgIdSchema,
    status: z.enum(['pending', 'retrying', 'delivered', 'failed'], { error: 'must be pending, retrying, delivered or failed' }).optional(),
    limit: z.coerce.number().int().min(1, 'must be 1-500').max(500, 'must be 1-500').optional(),
  }, async (f, config) => {
    const rows = await withDb(config, (db) => listCallbacks(db, { organisationId: f.org, status: f.status, limit: f.limit ?? 50 }));
    if (rows.length === 0) console.log(`No callbacks for ${f.org}${f.status ? ` with status ${f.status}` : ''}.`);
    for (const r of rows) {
      console.log(`${r.id}  ${r.kind}  ${r.status}  attempts=${r.attempts}  created=${r.created_at.toISOString()}${r.last_error ? `  last error: ${r.last_error}` : ''}`);
    }
  }),
  command('callback retry --id <deliveryId>', 'sends a callback again: a new run of the callbackDelivery workflow', { id: required('the delivery ID, from: callback list') }, async (f, config) => {
    const r = await withDb(config, (db) => withTemporal(config, (client) => retryCallback(db, client, config.temporal.taskQueue, f.id)));
    console.log(`Callback ${f.id} (was ${r.previousStatus}) is being delivered again: workflow ${f.id}, run ${r.runId}`);
  }),
  command('invoices run --month <YYYY-MM>', 'runs the monthly invoicing for one month now (idempotent)', { month: z.string({ error: 'is required (YYYY-MM)' }).refine((m) => parseMonthKey(m) !== null, 'must be a month such as 2026-10') }, async (f, config) => {
    const handle = await withTemporal(config, (client) => startInvoicingRun(client, config.temporal.taskQueue, f.month));
    console.log(`Invoicing of ${f.month} started: workflow ${handle.workflowId}`);
  }),
  command('issuer create --id <10 characters> --name <name> --org <organisation id>', "a card issuer (seed 001) whose digital cards are passes of the organisation", { id: issuerIdSchema, name: required('the issuer name'), org: orgIdSchema }, async (f, config) => {
    const issuer = await withDb(config, (db) => createIssuer(db, { id: f.id, name: f.name, organisationId: f.org }));
    console.log(`Created issuer ${issuer.id} (${issuer.name}), digital cards are passes of ${issuer.organisation_id}`);
  }),
  command('oauth-client create --issuer <issuerId>', 'an OAuth client of the issuer: prints client_id and client_secret, once', { issuer: issuerIdSchema }, async (f, config) => {
    const c = await withDb(config, (db) => createOAuthClient(db, f.issuer));
    console.error(`OAuth client for issuer ${f.issuer} (the secret is shown only now; POST /oauth/token with grant_type=client_credentials):`);
    console.log(`client_id=${c.clientId}`);
    console.log(`client_secret=${c.clientSecret}`);
  }),
  command('consumer create --issuer <issuerId> --id <consumerId> [--name <name>] [--email <email>]', 'registers an end user; a deleted consumerId is refused', { issuer: issuerIdSchema, id: consumerIdSchema, name: z.string().optional(), email: z.string().email('must be an email address').optional() }, async (f, config) => {
    await withDb(config, (db) => registerConsumer(db, { issuerId: f.issuer, consumerId: f.id, name: f.name, email: f.email }));
    console.log(`Registered consumer ${f.id} of issuer ${f.issuer}`);
  }),
  command('account create --issuer <issuerId> --consumer <consumerId> --ref <account reference>', 'an account of the consumer (prints its ID)', { issuer: issuerIdSchema, consumer: consumerIdSchema, ref: required('the account reference') }, async (f, config) => {
    const a = await withDb(config, (db) => createAccount(db, { issuerId: f.issuer, consumerId: f.consumer, accountRef: f.ref }));
    console.log(`Created account ${a.id} (${a.account_ref}) of consumer ${f.consumer}`);
  }),
  command('card create --account <accountId> --ref <card reference> [--name <cardholder>] [--last4 <digits>]', 'a card on the account (prints its ID)', {
    account: z.string({ error: 'is required' }).uuid('must be an account ID'),
    ref: required('the card reference'),
    name: z.string().optional(),
    last4: z.string().regex(/^\d{4}$/, 'must be 4 digits').optional(),
  }, async (f, config) => {
    const c = await withDb(config, (db) => createCard(db, { accountId: f.account, cardRef: f.ref, cardholderName: f.name, panLast4: f.last4 }));
    console.log(`Created card ${c.id} (${c.card_ref}) on account ${f.account}`);
  }),
  command('digital-card create --card <cardId> --serial <pass serial number>', "the card in a wallet: links it to a pass of the issuer's organisation", { card: z.string({ error: 'is required' }).uuid('must be a card ID'), serial: required('the pass serial number') }, async (f, config) => {
    const d = await withDb(config, (db) => createDigitalCard(db, { cardId: f.card, serialNumber: f.serial }));
    console.log(`Created digital card ${d.id}: card ${f.card} is pass ${f.serial}`);
  }),
  ...DCI_COMMANDS,
  ...WALLET_COMMANDS,
  ...NOTIFICATION_COMMANDS,
];

const HELP = helpText(
  COMMANDS,
  'Usage: npm run admin -- <command> [flags]        (npm run admin -- help <command>: one command)',
  `PostgreSQL: DATABASE_URL, else the embedded one that \`npm start\` runs.
Temporal (callback retry, invoices run): TEMPORAL_ADDRESS, else the dev server of \`npm start\`;
workflows go to TEMPORAL_TASK_QUEUE (default steward).`,
);

main(COMMANDS, HELP);
