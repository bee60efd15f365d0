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

/**
 * The admin CLI's DCI commands (registry records, senders and keys). admin.ts parses the flags and
 * hands over its helpers.
 */
export const DCI_USAGE = `
  registry load     --registry <dr|fr> --file <records.json>     (a JSON array, or {"records": [...]})
  registry generate --registry <dr|fr> --count <n> [--seed <n>]
  dci sender add  --id <sender_id> --name <name> [--signing-key <PEM|JWK|file>] [--signing-key-id <id>]
                  [--encryption-key <PEM|JWK|file>] [--encryption-key-id <id>] [--callback-url <default sender_uri>]
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
} as const;

export const DCI_COMMANDS = ['registry load', 'registry generate', 'dci sender add', 'dci sender show', 'dci keys', 'dci keygen', 'dci admin-token'];

interface Helpers {
  parseFlags<T extends z.ZodRawShape>(shape: T, flags: Record<string, unknown>): z.infer<z.ZodObject<T>>;
  withDb<T>(config: Config, fn: (db: Db) => Promise<T>): Promise<T>;
  usageError(message: string): Error;
}

const registryFlag = z.string({ error: 'is required (dr or fr)' }).refine(isRegistryKey, 'must be dr or fr').transform((r) => r as RegistryKey);
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
        },
        values,
      );
      const r = await h.withDb(config, (db) =>
        registerSender(db, {
          id: f.id,
          name: f.name,
          defaultCallbackUri: f['callback-url'],
          signingKey: f['signing-key'],
          signingKeyId: f['signing-key-id'],
          encryptionKey: f['encryption-key'],
          encryptionKeyId: f['encryption-key-id'],
        }),
      );
      console.log(`Sender ${r.id} registered.`);
      for (const k of r.keys) console.log(`  ${k.use === 'sig' ? 'signing' : 'encryption'} key ${k.keyId}${k.use === 'sig' ? `   (kidId="${r.id}|${k.keyId}|ed25519")` : ''}`);
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
