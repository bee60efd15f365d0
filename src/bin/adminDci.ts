import crypto from 'node:crypto';
import fs from 'node:fs';
import { z } from 'zod';
import { adminApiToken } from '../api/dci/adminAuth';
import type { Config } from '../config';
import type { Db } from '../db/knex';
import { isRegistryKey, REGISTRIES, REGISTRY_KEYS, RegistryKey } from '../domain/dci/registries';
import { generateRecords } from '../services/dci/generate';
import { dciKeys, publicJwks } from '../services/dci/keys';
import { upsertRecords } from '../services/dci/records';
import { getSender, registerSender, senderIdSchema, senderKeys } from '../services/dci/senders';
import { createDciSenderClient } from '../services/consumers/oauthClients';
import { OutboundResult, sendDciRequest, sentRequests, subscribeMessage, unsubscribeMessage } from '../services/dci/outboundRequests';
import { savePeerCredentials } from '../services/dci/peerTokens';

/**
 * The admin CLI's DCI commands (registry records, senders and keys). admin.ts parses the flags and
 * hands over its helpers.
 */
export const DCI_USAGE = `
  registry load     --registry <dr|fr> --file <records.json>     (a JSON array, or {"records": [...]})
  registry generate --registry <dr|fr> --count <n> [--seed <n>]
  dci sender add  --id <sender_id> --name <name> [--signing-key <PEM|JWK|file>] [--signing-key-id <id>]
                  [--encryption-key <PEM|JWK|file>] [--encryption-key-id <id>] [--callback-url <default sender_uri>]
                  [--new-client]   (prints the sender's OAuth client credentials for POST /oauth/token: on
                                    the first add, or a further client with --new-client)
                  [--token-url <URL> --client-id <id> --client-secret <secret> [--as <dr|fr>]]
                                   (credentials that sender's own token API issued to our registry --as, or to
                                    both: Steward's calls to it (callbacks, requests) carry its bearer token)
  dci subscribe   --as <dr|fr> --to <peer API base URL> --peer-id <its DCI id> --peer-type <dr|fr>
                  --filter <JSON expression query> --frequency <cron> [--start <ISO>] [--end <ISO>]
                  [--callback-base <URL>] [--token-url <URL> --client-id <id> --client-secret <secret>]
  dci unsubscribe --as <dr|fr> --to <URL> --peer-id <id> --code <subscription code>[,<code>...]
  dci sent        --as <dr|fr> [--limit <n>]   (requests our registry sent, their status and subscription codes)
  dci received    --as <dr|fr> [--limit <n>]   (callbacks our registry received: on-subscribe, notify, ...)
  dci sender show --id <sender_id>
  dci keys          (Steward's public keys and registry IDs)
  dci keygen --file <prefix>   (new Ed25519 signing and X25519 encryption private keys for a sender, as JWK files)
  dci admin-token   (the bearer token of the registry records admin API)`;

export const DCI_FLAGS = {
  registry: { type: 'string' },
  file: { type: 'string' },
  count: { type: 'string' },
  seed: { type: 'string' },
  'signing-key': { type: 'string' },
  'signing-key-id': { type: 'string' },
  'encryption-key': { type: 'string' },
  'encryption-key-id': { type: 'string' },
  'new-client': { type: 'boolean' },
  'token-url': { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret': { type: 'string' },
  as: { type: 'string' },
  to: { type: 'string' },
  'peer-id': { type: 'string' },
  'peer-type': { type: 'string' },
  filter: { type: 'string' },
  frequency: { type: 'string' },
  start: { type: 'string' },
  end: { type: 'string' },
  'callback-base': { type: 'string' },
  code: { type: 'string' },
} as const;

export const DCI_COMMANDS = [
  'registry load', 'registry generate', 'dci sender add', 'dci sender show', 'dci keys', 'dci keygen', 'dci admin-token',
  'dci subscribe', 'dci unsubscribe', 'dci sent', 'dci received',
];

interface Helpers {
  parseFlags<T extends z.ZodRawShape>(shape: T, flags: Record<string, unknown>): z.infer<z.ZodObject<T>>;
  withDb<T>(config: Config, fn: (db: Db) => Promise<T>): Promise<T>;
  usageError(message: string): Error;
}

const registryFlag = z.string({ error: 'is required (dr or fr)' }).refine(isRegistryKey, 'must be dr or fr').transform((r) => r as RegistryKey);
const urlFlag = z.string({ error: 'is required (an absolute URL)' }).url('must be an absolute URL');
/** --token-url, --client-id and --client-secret: all three or none. */
const tokenFlags = {
  'token-url': urlFlag.optional(),
  'client-id': z.string().min(1).optional(),
  'client-secret': z.string().min(1).optional(),
};
function peerCredentialsOf(f: { 'token-url'?: string; 'client-id'?: string; 'client-secret'?: string }, h: Helpers) {
  const given = [f['token-url'], f['client-id'], f['client-secret']].filter((v) => v !== undefined).length;
  if (given === 0) return undefined;
  if (given < 3) throw h.usageError('--token-url, --client-id and --client-secret go together');
  return { tokenUrl: f['token-url']!, clientId: f['client-id']!, clientSecret: f['client-secret']! };
}

function printAck(r: OutboundResult): void {
  console.log(`HTTP ${r.httpStatus} ${r.ack.message?.ack_status ?? '(no acknowledgement)'}  message_id ${r.messageId}${r.ack.message?.correlation_id ? `  correlation_id ${r.ack.message.correlation_id}` : ''}`);
  if (r.ack.message?.error) console.log(`  ${r.ack.message.error.code}: ${r.ack.message.error.message}`);
}
/** A key given inline (PEM or JWK) or as a file path; of a private key only the public half is stored. */
const keyFlag = z.string().transform((v) => (fs.existsSync(v) ? fs.readFileSync(v, 'utf8') : v));

export async function runDciCommand(command: string, values: Record<string, unknown>, config: Config, h: Helpers): Promise<void> {
  switch (command) {
    case 'registry load': {
      const f = h.parseFlags({ registry: registryFlag, file: z.string({ error: 'is required (a JSON file of records)' }) }, values);
      if (!fs.existsSync(f.file)) throw h.usageError(`--file: ${f.file} does not exist`);
      let parsed: unknown;
      try {
        parsed = JSON.parse(fs.readFileSync(f.file, 'utf8'));
      } catch (err) {
        throw h.usageError(`--file: not valid JSON (${(err as Error).message})`);
      }
      const records = Array.isArray(parsed) ? parsed : (parsed as { records?: unknown })?.records;
      if (!Array.isArray(records)) throw h.usageError('--file: must hold a JSON array of records, or {"records": [...]}');
      const r = await h.withDb(config, (db) => upsertRecords(db, f.registry, records));
      console.log(`${REGISTRIES[f.registry].name}: ${r.created} records created, ${r.updated} updated (each one a life event)`);
      return;
    }
    case 'registry generate': {
      const f = h.parseFlags(
        {
          registry: registryFlag,
          count: z.coerce.number({ error: 'is required' }).int().min(1, 'must be 1 or more').max(5_000_000, 'at most 5,000,000'),
          seed: z.coerce.number().int().min(0).max(999_999, 'must be 0-999999').optional(),
        },
        values,
      );
      const seed = f.seed ?? crypto.randomInt(0, 1_000_000);
      const started = Date.now();
      const totals = { created: 0, updated: 0 };
      await h.withDb(config, async (db) => {
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
      return;
    }
    case 'dci sender add': {
      const f = h.parseFlags(
        {
          id: senderIdSchema,
          name: z.string({ error: 'is required' }).trim().min(1),
          'signing-key': keyFlag.optional(),
          'signing-key-id': z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'must be 1-64 letters, digits, dots, dashes or colons').optional(),
          'encryption-key': keyFlag.optional(),
          'encryption-key-id': z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/).optional(),
          'callback-url': z.string().url('must be an absolute URL').optional(),
          'new-client': z.boolean().optional(),
          ...tokenFlags,
          as: registryFlag.optional(),
        },
        values,
      );
      const credentials = peerCredentialsOf(f, h);
      await h.withDb(config, async (db) => {
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
        const existing = await db('oauth_clients').where({ dci_sender_id: f.id }).whereNull('revoked_at').pluck('client_id');
        if (existing.length === 0 || f['new-client']) {
          const c = await createDciSenderClient(db, f.id);
          console.log(`OAuth client for POST ${config.publicBaseUrl}/oauth/token (grant_type=client_credentials; the secret is shown only now):`);
          console.log(`  client_id:     ${c.clientId}\n  client_secret: ${c.clientSecret}`);
        } else {
          console.log(`  OAuth client(s): ${existing.join(', ')} (--new-client for another one)`);
        }
        if (credentials) {
          for (const registry of f.as ? [f.as] : REGISTRY_KEYS) await savePeerCredentials(db, { peerId: f.id, registry, ...credentials });
          console.log(`  calls to ${f.id} from ${f.as ? REGISTRIES[f.as].name : 'both registries'} get their token at ${credentials.tokenUrl}`);
        }
      });
      return;
    }
    case 'dci subscribe': {
      const f = h.parseFlags(
        {
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
        },
        values,
      );
      const credentials = peerCredentialsOf(f, h);
      await h.withDb(config, async (db) => {
        if (credentials) await savePeerCredentials(db, { peerId: f['peer-id'], registry: f.as, ...credentials });
        const message = subscribeMessage(f['peer-type'], {
          filter: f.filter,
          frequency: f.frequency,
          startTime: f.start ?? new Date().toISOString(),
          endTime: f.end ?? new Date(Date.now() + 365 * 86_400_000).toISOString(),
        });
        printAck(await sendDciRequest(db, config, { registry: f.as, to: f.to, peerId: f['peer-id'], action: 'subscribe', message, callbackBase: f['callback-base'] }));
        console.log(`  transaction_id ${message.transaction_id}: the subscription code arrives with on-subscribe (npm run admin -- dci sent --as ${f.as})`);
      });
      return;
    }
    case 'dci unsubscribe': {
      const f = h.parseFlags(
        {
          as: registryFlag,
          to: urlFlag,
          'peer-id': senderIdSchema,
          code: z.string({ error: 'is required (one or more subscription codes, comma-separated)' }).transform((v) => v.split(',').map((c) => c.trim()).filter(Boolean)),
          'callback-base': urlFlag.optional(),
        },
        values,
      );
      await h.withDb(config, async (db) => {
        printAck(await sendDciRequest(db, config, { registry: f.as, to: f.to, peerId: f['peer-id'], action: 'unsubscribe', message: unsubscribeMessage(f.code), callbackBase: f['callback-base'] }));
      });
      return;
    }
    case 'dci sent':
    case 'dci received': {
      const f = h.parseFlags({ as: registryFlag, limit: z.coerce.number().int().min(1).max(1000).default(20) }, values);
      await h.withDb(config, async (db) => {
        if (command === 'dci sent') {
          for (const r of await sentRequests(db, f.as, f.limit)) {
            console.log(`${new Date(r.created_at).toISOString()}  ${r.action.padEnd(11)} to ${r.peer_id}  ${r.status.padEnd(7)} transaction_id ${r.transaction_id}${r.subscription_codes?.length ? `  codes ${r.subscription_codes.join(',')}` : ''}`);
          }
        } else {
          const rows = await db('dci_received_callbacks').where({ registry: f.as }).orderBy('id', 'desc').limit(f.limit);
          for (const r of rows) {
            console.log(`${new Date(r.received_at).toISOString()}  ${r.action.padEnd(14)} from ${r.sender_id}  ${String(r.status).padEnd(4)} transaction_id ${r.transaction_id}${r.subscription_code ? `  subscription ${r.subscription_code}` : ''}  ${r.record_count} item(s)`);
          }
        }
      });
      return;
    }
    case 'dci sender show': {
      const f = h.parseFlags({ id: senderIdSchema }, values);
      await h.withDb(config, async (db) => {
        const sender = await getSender(db, f.id);
        if (!sender) throw h.usageError(`--id: no sender "${f.id}"`);
        console.log(`  id:           ${sender.id}\n  name:         ${sender.name}\n  callback URI: ${sender.default_callback_uri ?? '(none: requests must carry header.sender_uri)'}`);
        for (const k of await senderKeys(db, f.id)) console.log(`  ${k.use} key ${k.key_id}: ${JSON.stringify(k.public_jwk)}`);
      });
      return;
    }
    case 'dci keys': {
      const keys = dciKeys(config);
      for (const r of REGISTRY_KEYS) console.log(`${REGISTRIES[r].name}: ${keys.registryIds[r]}  (kidId="${keys.registryIds[r]}|${keys.signing.kid}|ed25519")`);
      console.log(JSON.stringify(publicJwks(keys), null, 2));
      return;
    }
    case 'dci keygen': {
      const f = h.parseFlags({ file: z.string({ error: 'is required (a file name prefix, e.g. ./spmis)' }).min(1) }, values);
      const files = { signing: `${f.file}-signing.jwk.json`, encryption: `${f.file}-encryption.jwk.json` };
      for (const [use, type] of [['signing', 'ed25519'], ['encryption', 'x25519']] as const) {
        const { privateKey } = crypto.generateKeyPairSync(type as 'ed25519');
        fs.writeFileSync(files[use], JSON.stringify(privateKey.export({ format: 'jwk' })), { flag: 'wx', mode: 0o600 });
      }
      console.log(`Private keys (keep them with the sender): ${files.signing}, ${files.encryption}`);
      console.log(`Register their public halves: npm run admin -- dci sender add --id <sender_id> --name <name> --signing-key ${files.signing} --encryption-key ${files.encryption}`);
      return;
    }
    case 'dci admin-token': {
      const token = adminApiToken(config);
      if (!token) throw h.usageError('ADMIN_API_TOKEN is not set (production has no generated token)');
      console.log(token);
      return;
    }
    default:
      throw h.usageError(`unknown command "${command}"`);
  }
}
