import crypto from 'node:crypto';
import fs from 'node:fs';
import { z } from 'zod';
import { adminApiToken } from '../api/dci/adminAuth';
import { isRegistryKey, REGISTRIES, REGISTRY_KEYS, RegistryKey } from '../domain/dci/registries';
import { generateRecords } from '../services/dci/generate';
import { dciKeys, publicJwks } from '../services/dci/keys';
import { upsertRecords } from '../services/dci/records';
import { getSender, registerSender, senderIdSchema, senderKeys } from '../services/dci/senders';
import { createDciSenderClient } from '../services/consumers/oauthClients';
import { OutboundResult, sendDciRequest, sentRequests, subscribeMessage, unsubscribeMessage } from '../services/dci/outboundRequests';
import { savePeerCredentials } from '../services/dci/peerTokens';
import { Command, command, UsageError, withDb } from './commandTable';

/** The admin CLI's DCI commands (registry records, senders and keys): entries of admin.ts's table. */

const registryFlag = z.string({ error: 'is required (dr or fr)' }).refine(isRegistryKey, 'must be dr or fr').transform((r) => r as RegistryKey);
/** A key given inline (PEM or JWK) or as a file path; of a private key only the public half is stored. */
const keyFlag = z.string().transform((v) => (fs.existsSync(v) ? fs.readFileSync(v, 'utf8') : v));
const keyIdFlag = z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'must be 1-64 letters, digits, dots, dashes or colons');

const urlFlag = z.string({ error: 'is required (an absolute URL)' }).url('must be an absolute URL');
/** --token-url, --client-id, --client-secret: a peer's token API and the client it issued to us (all three or none). */
const tokenFlags = {
  'token-url': urlFlag.optional(),
  'client-id': z.string().min(1).optional(),
  'client-secret': z.string().min(1).optional(),
};
function peerCredentialsOf(f: { 'token-url'?: string; 'client-id'?: string; 'client-secret'?: string }) {
  const given = [f['token-url'], f['client-id'], f['client-secret']].filter((v) => v !== undefined).length;
  if (given === 0) return undefined;
  if (given < 3) throw new UsageError('--token-url, --client-id and --client-secret go together');
  return { tokenUrl: f['token-url']!, clientId: f['client-id']!, clientSecret: f['client-secret']! };
}
const TOKEN_USAGE = '[--token-url <URL> --client-id <id> --client-secret <secret>]';

function printAck(r: OutboundResult): void {
  const m = r.ack.message;
  console.log(`HTTP ${r.httpStatus} ${m?.ack_status ?? '(no acknowledgement)'}  message_id ${r.messageId}${m?.correlation_id ? `  correlation_id ${m.correlation_id}` : ''}`);
  if (m?.error) console.log(`  ${m.error.code}: ${m.error.message}`);
}

export const DCI_COMMANDS: Command[] = [
  command('registry load --registry <dr|fr> --file <records.json>', 'loads DCI registry records (a JSON array, or {"records": [...]}), upserting by identifier; each one a life event', { registry: registryFlag, file: z.string({ error: 'is required (a JSON file of records)' }) }, async (f, config) => {
    if (!fs.existsSync(f.file)) throw new UsageError(`--file: ${f.file} does not exist`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(f.file, 'utf8'));
    } catch (err) {
      throw new UsageError(`--file: not valid JSON (${(err as Error).message})`);
    }
    const records = Array.isArray(parsed) ? parsed : (parsed as { records?: unknown })?.records;
    if (!Array.isArray(records)) throw new UsageError('--file: must hold a JSON array of records, or {"records": [...]}');
    const r = await withDb(config, (db) => upsertRecords(db, f.registry, records));
    console.log(`${REGISTRIES[f.registry].name}: ${r.created} records created, ${r.updated} updated (each one a life event)`);
  }),
  command('registry generate --registry <dr|fr> --count <n> [--seed <n>]', 'generates realistic synthetic records', {
    registry: registryFlag,
    count: z.coerce.number({ error: 'is required' }).int().min(1, 'must be 1 or more').max(5_000_000, 'at most 5,000,000'),
    seed: z.coerce.number().int().min(0).max(999_999, 'must be 0-999999').optional(),
  }, async (f, config) => {
    const seed = f.seed ?? crypto.randomInt(0, 1_000_000);
    const started = Date.now();
    const totals = { created: 0, updated: 0 };
    await withDb(config, async (db) => {
      // Chunks of 10,000 keep memory flat; each chunk is one transaction.
      for (let start = 0; start < f.count; start += 10_000) {
        const n = Math.min(10_000, f.count - start);
        const r = await upsertRecords(db, f.registry, generateRecords(f.registry, n, seed, start));
        totals.created += r.created;
        totals.updated += r.updated;
        process.stderr.write(`\r  ${start + n} / ${f.count}`);
      }
    });
    process.stderr.write('\n');
    console.log(`${REGISTRIES[f.registry].name}: generated ${totals.created} records (${totals.updated} updated) from seed ${seed} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }),
  command(`dci sender add --id <sender_id> --name <name> [--signing-key <PEM|JWK|file>] [--signing-key-id <id>] [--encryption-key <PEM|JWK|file>] [--encryption-key-id <id>] [--callback-url <default sender_uri>] [--new-client] ${TOKEN_USAGE} [--as <dr|fr>]`, 'registers a DCI sender and its public keys (PEM or JWK, inline or a file); prints its OAuth client credentials for POST /oauth/token (first add, or --new-client); --token-url etc.: the token API and client that sender issued to our registry --as (default both), used when Steward calls it', {
    id: senderIdSchema,
    name: z.string({ error: 'is required' }).trim().min(1),
    'signing-key': keyFlag.optional(),
    'signing-key-id': keyIdFlag.optional(),
    'encryption-key': keyFlag.optional(),
    'encryption-key-id': keyIdFlag.optional(),
    'callback-url': z.string().url('must be an absolute URL').optional(),
    'new-client': z.boolean().optional(),
    ...tokenFlags,
    as: registryFlag.optional(),
  }, async (f, config) => {
    const credentials = peerCredentialsOf(f);
    await withDb(config, async (db) => {
      const r = await registerSender(db, {
        id: f.id,
        name: f.name,
        defaultCallbackUri: f['callback-url'],
        signingKey: f['signing-key'],
        signingKeyId: f['signing-key-id'],
        encryptionKey: f['encryption-key'],
        encryptionKeyId: f['encryption-key-id'],
      });
      console.log(`Sender ${r.id} registered.`);
      for (const k of r.keys) console.log(`  ${k.use === 'sig' ? 'signing' : 'encryption'} key ${k.keyId}${k.use === 'sig' ? `   (kidId="${r.id}|${k.keyId}|ed25519")` : ''}`);
      const existing: string[] = await db('oauth_clients').where({ dci_sender_id: f.id }).whereNull('revoked_at').pluck('client_id');
      if (existing.length === 0 || f['new-client']) {
        const c = await createDciSenderClient(db, f.id);
        console.log(`OAuth client for POST ${config.publicBaseUrl}/oauth/token (grant_type=client_credentials; the secret is shown only now):`);
        console.log(`  client_id:     ${c.clientId}\n  client_secret: ${c.clientSecret}`);
      } else {
        console.log(`  OAuth client(s): ${existing.join(', ')} (--new-client for another one)`);
      }
      if (credentials) {
        for (const registry of f.as ? [f.as] : REGISTRY_KEYS) await savePeerCredentials(db, { peerId: f.id, registry, ...credentials });
        console.log(`  Steward's calls to ${f.id} (from ${f.as ? REGISTRIES[f.as].name : 'both registries'}) get their bearer token at ${credentials.tokenUrl}`);
      }
    });
  }),
  command(`dci subscribe --as <dr|fr> --to <peer API base URL> --peer-id <its DCI id> --peer-type <dr|fr> --filter <JSON expression query> --frequency <cron> [--start <ISO>] [--end <ISO>] [--callback-base <URL>] ${TOKEN_USAGE}`, 'our registry --as subscribes to another registry (signed, with its bearer token); on-subscribe and notify come back to our receiving paths', {
    as: registryFlag,
    to: urlFlag,
    'peer-id': senderIdSchema,
    'peer-type': registryFlag,
    filter: z.string({ error: 'is required (a JSON expression query, e.g. {"disability_status": {"$eq": "Approved"}})' }).transform((v, ctx) => {
      try {
        return JSON.parse(v) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON' });
        return z.NEVER;
      }
    }),
    frequency: z.string({ error: 'is required (a cron expression, e.g. "0 0 * * * ?")' }).min(1),
    start: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).optional(),
    end: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).optional(),
    'callback-base': urlFlag.optional(),
    ...tokenFlags,
  }, async (f, config) => {
    const credentials = peerCredentialsOf(f);
    await withDb(config, async (db) => {
      if (credentials) await savePeerCredentials(db, { peerId: f['peer-id'], registry: f.as, ...credentials });
      const message = subscribeMessage(f['peer-type'], {
        filter: f.filter,
        frequency: f.frequency,
        startTime: f.start ?? new Date().toISOString(),
        endTime: f.end ?? new Date(Date.now() + 365 * 86_400_000).toISOString(),
      });
      printAck(await sendDciRequest(db, config, { registry: f.as, to: f.to, peerId: f['peer-id'], action: 'subscribe', message, callbackBase: f['callback-base'] }));
      console.log(`  transaction_id ${message.transaction_id}: the subscription code comes with on-subscribe (npm run admin -- dci sent --as ${f.as})`);
    });
  }),
  command('dci unsubscribe --as <dr|fr> --to <peer API base URL> --peer-id <its DCI id> --code <subscription code>[,<code>...] [--callback-base <URL>]', 'our registry --as ends subscriptions it has with another registry', {
    as: registryFlag,
    to: urlFlag,
    'peer-id': senderIdSchema,
    code: z.string({ error: 'is required (subscription codes, comma-separated)' }).transform((v) => v.split(',').map((c) => c.trim()).filter(Boolean)),
    'callback-base': urlFlag.optional(),
  }, async (f, config) => {
    await withDb(config, async (db) => {
      printAck(await sendDciRequest(db, config, { registry: f.as, to: f.to, peerId: f['peer-id'], action: 'unsubscribe', message: unsubscribeMessage(f.code), callbackBase: f['callback-base'] }));
    });
  }),
  command('dci sent --as <dr|fr> [--limit <n>]', 'requests our registry sent to other registries: status and subscription codes', { as: registryFlag, limit: z.coerce.number().int().min(1).max(1000).default(20) }, async (f, config) => {
    await withDb(config, async (db) => {
      for (const r of await sentRequests(db, f.as, f.limit)) {
        console.log(`${new Date(r.created_at).toISOString()}  ${r.action.padEnd(11)} to ${r.peer_id}  ${r.status.padEnd(7)} transaction_id ${r.transaction_id}${r.subscription_codes?.length ? `  codes ${r.subscription_codes.join(',')}` : ''}`);
      }
    });
  }),
  command('dci received --as <dr|fr> [--limit <n>]', 'callbacks our registry received (on-search, on-subscribe, notify, ...)', { as: registryFlag, limit: z.coerce.number().int().min(1).max(1000).default(20) }, async (f, config) => {
    await withDb(config, async (db) => {
      const rows = await db('dci_received_callbacks').where({ registry: f.as }).orderBy('id', 'desc').limit(f.limit);
      for (const r of rows) {
        console.log(`${new Date(r.received_at).toISOString()}  ${r.action.padEnd(14)} from ${r.sender_id}  ${String(r.status).padEnd(4)} transaction_id ${r.transaction_id}${r.subscription_code ? `  subscription ${r.subscription_code}` : ''}  ${r.record_count} item(s)`);
      }
    });
  }),
  command('dci sender show --id <sender_id>', 'a sender and its keys', { id: senderIdSchema }, async (f, config) => {
    await withDb(config, async (db) => {
      const sender = await getSender(db, f.id);
      if (!sender) throw new UsageError(`--id: no sender "${f.id}"`);
      console.log(`  id:           ${sender.id}\n  name:         ${sender.name}\n  callback URI: ${sender.default_callback_uri ?? '(none: requests must carry header.sender_uri)'}`);
      for (const k of await senderKeys(db, f.id)) console.log(`  ${k.use} key ${k.key_id}: ${JSON.stringify(k.public_jwk)}`);
    });
  }),
  command('dci keys', "Steward's public keys and registry IDs", {}, async (_f, config) => {
    const keys = dciKeys(config);
    for (const r of REGISTRY_KEYS) console.log(`${REGISTRIES[r].name}: ${keys.registryIds[r]}  (kidId="${keys.registryIds[r]}|${keys.signing.kid}|ed25519")`);
    console.log(JSON.stringify(publicJwks(keys), null, 2));
  }),
  command('dci keygen --file <prefix>', 'new Ed25519 signing and X25519 encryption private keys for a sender, as JWK files', { file: z.string({ error: 'is required (a file name prefix, e.g. ./spmis)' }).min(1) }, async (f) => {
    const files = { signing: `${f.file}-signing.jwk.json`, encryption: `${f.file}-encryption.jwk.json` };
    for (const [use, type] of [['signing', 'ed25519'], ['encryption', 'x25519']] as const) {
      const { privateKey } = crypto.generateKeyPairSync(type as 'ed25519');
      fs.writeFileSync(files[use], JSON.stringify(privateKey.export({ format: 'jwk' })), { flag: 'wx', mode: 0o600 });
    }
    console.log(`Private keys (keep them with the sender): ${files.signing}, ${files.encryption}`);
    console.log(`Register their public halves: npm run admin -- dci sender add --id <sender_id> --name <name> --signing-key ${files.signing} --encryption-key ${files.encryption}`);
  }),
  command('dci admin-token', 'the bearer token of the registry records admin API', {}, async (_f, config) => {
    const token = adminApiToken(config);
    if (!token) throw new UsageError('ADMIN_API_TOKEN is not set (production has no generated token)');
    console.log(token);
  }),
];
