/**
 * Wallet benchmark: `.pkpass` builds per second (signing included) and the time to push an update
 * to 10,000 registered devices through the test APNs server (a real HTTP/2 TLS server in this
 * process). Runs on an embedded PostgreSQL; the pushes go through the same chunk function the
 * `pushWalletUpdates` activity runs, 500 passes per chunk one chunk after another, as the workflows do.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { createDb, migrateLatest } from '../src/db/knex';
import type { Deps } from '../src/deps';
import { startEmbeddedPostgres } from '../src/dev/embeddedPostgres';
import { freePort } from '../src/dev/freePort';
import { createOrganisation } from '../src/services/organisations';
import { createPassDesign, defaultPresentation } from '../src/services/passDesigns';
import { WALLET_PUSH_CHUNK } from '../src/jobs/walletPushes/workflow';
import { pushWalletChunk, walletPushers } from '../src/wallet/pushes';
import { WalletPasses } from '../src/wallet/walletPasses';
import { ApnsTestServer } from '../test/helpers/apnsServer';
import { stopOnInterrupt } from './interrupt';

const DEVICES = Number(process.env.BENCH_WALLET_DEVICES ?? 10_000);
const BUILDS = Number(process.env.BENCH_WALLET_BUILDS ?? 200);

export default async function walletBench(): Promise<void> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'steward-bench-wallet-'));
  fs.chmodSync(scratch, 0o755);
  const pg = await startEmbeddedPostgres({ dir: path.join(scratch, 'pg'), port: await freePort(), database: 'bench', persistent: false });
  const stopPostgres = async () => {
    await pg.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  };
  const forget = stopOnInterrupt(stopPostgres);
  const apns = new ApnsTestServer();
  await apns.start();
  const db = createDb(pg.url);
  try {
    await migrateLatest(db);
    const config = loadConfig({
      ...process.env,
      LOG_LEVEL: 'warn',
      STEWARD_DATA_DIR: path.join(scratch, 'data'),
      DATABASE_URL: pg.url,
      APNS_URL: apns.url,
      APNS_CA: apns.tls.certPem,
      CALLBACK_ALLOW_PRIVATE: 'true', // the test APNs server listens on loopback, which the address guard refuses otherwise
    });
    const deps = { config, db } as unknown as Deps;
    const org = await createOrganisation(db, { id: 'bench', name: 'Bench Org' });
    const fields = ['membership_number', 'membership_name'];
    const design = await createPassDesign(db, { organisationId: org.id, title: 'Gym', prefix: '7700', dynamicFieldKeys: fields, actor: 'bench', presentation: defaultPresentation(org.name, 'Gym', fields, config.publicBaseUrl) });
    await db.raw(
      `INSERT INTO passes (organisation_id, pass_design_id, serial_number, prefix, card_number, dynamic_field_data, authentication_token, creator, modifier)
       SELECT ?, ?, '7700' || lpad(i::text, 8, '0'), '7700', lpad(i::text, 8, '0'), jsonb_build_object('membership_number', i::text, 'membership_name', 'Member ' || i), md5(i::text) || md5(random()::text), 'bench', 'bench'
       FROM generate_series(1, ?) i`,
      [org.id, design.id, DEVICES],
    );
    await db.raw(
      `INSERT INTO device_registrations (pass_id, device_library_identifier, push_token) SELECT id, 'device-' || serial_number, encode(sha256(serial_number::bytea), 'hex') FROM passes WHERE organisation_id = ?`,
      [org.id],
    );

    // 1. .pkpass builds per second, one after another (content loaded once: the signing and zip are measured).
    const wallets = new WalletPasses(config, db);
    const content = (await wallets.content('770000000001'))!;
    await wallets.pkpass(content); // warm-up
    let t = process.hrtime.bigint();
    for (let i = 0; i < BUILDS; i++) await wallets.pkpass(content);
    const buildMs = Number(process.hrtime.bigint() - t) / 1e6;
    console.log(`pkpass: ${BUILDS} signed .pkpass builds in ${buildMs.toFixed(0)} ms: ${((BUILDS * 1000) / buildMs).toFixed(1)} builds/s (${(buildMs / BUILDS).toFixed(2)} ms each, one core)`);

    // 2. A change to every pass (expiry) queues one push per pass; drain it as the workflows do.
    t = process.hrtime.bigint();
    await db('passes').where({ organisation_id: org.id }).update({ is_expired: true, expired_timestamp: db.fn.now() });
    const expireMs = Number(process.hrtime.bigint() - t) / 1e6;
    const queued = Number((await db('wallet_push_queue').count('* as c'))[0].c);
    const pushers = walletPushers(deps);
    t = process.hrtime.bigint();
    let chunks = 0;
    let pushed = 0;
    for (;;) {
      const r = await pushWalletChunk(deps, pushers, WALLET_PUSH_CHUNK);
      chunks++;
      pushed += r.applePushed;
      if (r.failed) {
        const first = await db('wallet_push_queue').whereNotNull('last_error').first('last_error');
        throw new Error(`${r.failed} pushes failed; the first: ${first?.last_error}`);
      }
      if (r.claimed < WALLET_PUSH_CHUNK) break;
    }
    const pushMs = Number(process.hrtime.bigint() - t) / 1e6;
    pushers.apns?.close();
    console.log(`expiry of ${DEVICES} passes (trigger queues the pushes): ${expireMs.toFixed(0)} ms, ${queued} queued`);
    console.log(
      `push: ${pushed} APNs pushes to ${DEVICES} registered devices in ${(pushMs / 1000).toFixed(2)} s (${((pushed * 1000) / pushMs).toFixed(0)} pushes/s; ${chunks} chunks of ${WALLET_PUSH_CHUNK}, ${config.wallet.pushConcurrency} concurrent streams); server received ${apns.requests.length}`,
    );
  } finally {
    forget();
    await db.destroy();
    await apns.close();
    await stopPostgres();
  }
}
