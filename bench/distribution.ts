import fs from 'node:fs';
import path from 'node:path';
import { signUserToken } from '../src/auth/tokens';
import { peakRssMb } from '../src/dev/workerProcess';
import { createOrganisation } from '../src/services/organisations';
import { createPassDesign, defaultPresentation } from '../src/services/passDesigns';
import { CallbackReceiver } from '../test/helpers/receiver';
import { startBenchEnv } from './env';

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);

/**
 * Distribution: a generated 100,000-row CSV uploaded to distributePassesCSV, timed until the
 * signed callback arrives; against PostgreSQL COPY of the same file into a scratch table.
 */
export default async function distributionBench(): Promise<void> {
  const env = await startBenchEnv();
  const receiver = new CallbackReceiver();
  const receiverUrl = await receiver.start();
  try {
    const org = await createOrganisation(env.deps.db, { id: 'bench', name: 'Bench', callbackUrl: `${receiverUrl}/results` });
    const fields = ['membership_number', 'membership_name'];
    await createPassDesign(env.deps.db, {
      organisationId: org.id, title: 'Bench Pass', prefix: '7001', dynamicFieldKeys: fields, actor: 'bench',
      presentation: defaultPresentation(org.name, 'Bench Pass', fields, env.deps.config.publicBaseUrl),
    });
    const token = await signUserToken(env.deps.jwtKeys, { org: org.id, email: 'bench@example.test', roles: ['Owner'] }, env.deps.config.jwt);

    const csvPath = path.join(env.scratch, 'distribution.csv');
    const lines = ['externalReferenceID,membership_number,membership_name,payload,deliveryMethod'];
    for (let i = 1; i <= ROWS; i++) lines.push(`cust-${i},${1_000_000 + i},Member Number ${i},PAY${i},None`);
    fs.writeFileSync(csvPath, lines.join('\n') + '\n');
    fs.chmodSync(csvPath, 0o644);
    const sizeMb = fs.statSync(csvPath).size / 1024 / 1024;

    const idleRss = peakRssMb(env.worker.pid!);
    const started = Date.now();
    const form = new FormData();
    form.append('operations', JSON.stringify({ query: 'mutation($input: DistributionRequestCSV) { distributePassesCSV(input: $input) { message } }', variables: { input: { title: 'Bench Pass', file: null } } }));
    form.append('map', JSON.stringify({ 0: ['variables.input.file'] }));
    form.append('0', new Blob([fs.readFileSync(csvPath)], { type: 'text/csv' }), 'distribution.csv');
    const res = (await (await fetch(`${env.baseUrl}/query`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })).json()) as any;
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    const accepted = Date.now();
    // Poll the request row to see when the last chunk committed (results and callback follow).
    let chunksDone = 0;
    const poll = setInterval(async () => {
      const r = await env.deps.db('distribution_requests').where({ organisation_id: org.id }).first('processed_count');
      if (!chunksDone && r?.processed_count === ROWS) chunksDone = Date.now();
    }, 100);
    const [callback] = await receiver.waitFor((r) => r.length > 0, 600_000);
    clearInterval(poll);
    const done = Date.now();
    const payload = JSON.parse(callback.body);
    const rss = peakRssMb(env.worker.pid!);

    // Raw COPY of the same file into a scratch table: the floor for writing these rows at all.
    await env.deps.db.raw('CREATE TABLE copy_scratch (a text, b text, c text, d text, e text)');
    const copyStart = Date.now();
    await env.deps.db.raw(`COPY copy_scratch FROM '${csvPath}' WITH (FORMAT csv, HEADER true)`);
    const copyMs = Date.now() - copyStart;

    const wall = (done - started) / 1000;
    // Where the time went.
    const { completed_at: completed } = await env.deps.db('distribution_requests').where({ organisation_id: org.id }).first('completed_at');
    const phases = {
      'staging (upload, parse, insert rows)': (accepted - started) / 1000,
      'chunks (validate, serials, passes)': (chunksDone - accepted) / 1000,
      'results (CSV files, request completed)': (completed.getTime() - chunksDone) / 1000,
      'callback delivered': (done - completed.getTime()) / 1000,
    };
    console.log(`rows:                 ${ROWS} (${sizeMb.toFixed(1)} MB CSV)`);
    console.log(`successes/failures:   ${payload.successCount} / ${payload.failureCount}`);
    console.log(`upload accepted in:   ${((accepted - started) / 1000).toFixed(2)} s`);
    console.log(`end to end (upload → callback): ${wall.toFixed(2)} s`);
    console.log(`throughput:           ${Math.round(ROWS / wall)} rows/s`);
    for (const [phase, seconds] of Object.entries(phases)) console.log(`  ${phase.padEnd(40)} ${seconds.toFixed(2)} s`);
    console.log(`worker peak RSS:      ${rss.toFixed(0)} MB (idle before the job: ${idleRss.toFixed(0)} MB)`);
    console.log(`PostgreSQL COPY:      ${(copyMs / 1000).toFixed(2)} s for the same rows`);
    console.log(`ratio end-to-end/COPY: ${(wall / (copyMs / 1000)).toFixed(1)}x`);
  } finally {
    await receiver.close();
    await env.close();
  }
}
