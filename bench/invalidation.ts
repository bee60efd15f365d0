import fs from 'node:fs';
import path from 'node:path';
import { CallbackReceiver } from '../test/helpers/receiver';
import { createBenchOrg, startBenchEnv } from './env';
import { copyFloors, printFloors } from './floors';

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);

async function upload(baseUrl: string, token: string, query: string, variables: unknown, csv: string) {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query, variables }));
  form.append('map', JSON.stringify({ 0: ['variables.input.file'] }));
  form.append('0', new Blob([csv], { type: 'text/csv' }), 'rows.csv');
  const res = (await (await fetch(`${baseUrl}/query`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })).json()) as any;
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data;
}

/** Invalidation: 100,000 passes (distributed first, untimed) expired by one CSV upload, to the callback. */
export default async function invalidationBench(): Promise<void> {
  const env = await startBenchEnv();
  const receiver = new CallbackReceiver();
  const receiverUrl = await receiver.start();
  try {
    const { org, token } = await createBenchOrg(env.deps, { id: 'bench', name: 'Bench', prefix: '7002', fields: ['membership_number'], callbackUrl: `${receiverUrl}/results` });

    const distribution = ['externalReferenceID,membership_number', ...Array.from({ length: ROWS }, (_, i) => `c${i},${i}`)].join('\n');
    await upload(env.baseUrl, token, 'mutation($input: DistributionRequestCSV) { distributePassesCSV(input: $input) { message } }', { input: { title: 'Bench Pass', file: null } }, distribution);
    await receiver.waitFor((r) => r.length >= 1, 600_000);

    const serials = (await env.deps.db('passes').where({ organisation_id: org.id }).pluck('serial_number')) as string[];
    const csv = ['serialNumber', ...serials].join('\n');
    const csvPath = path.join(env.scratch, 'invalidation.csv');
    fs.writeFileSync(csvPath, csv);
    fs.chmodSync(csvPath, 0o644);
    const started = Date.now();
    const accepted_ = await upload(env.baseUrl, token, 'mutation($input: InvalidationRequestCSV) { invalidatePassesCSV(input: $input) { message } }', { input: { file: null } }, csv);
    const accepted = Date.now();
    const requestId = /request ([0-9a-f-]{36})/.exec(accepted_.invalidatePassesCSV.message)![1];
    // Poll the request row to see when the last chunk committed (wallet pushes, results and callback follow).
    let chunksDone = 0;
    const poll = setInterval(async () => {
      const r = await env.deps.db('invalidation_requests').where({ id: requestId }).first('processed_count');
      if (!chunksDone && r?.processed_count === ROWS) chunksDone = Date.now();
    }, 50);
    const [, callback] = await receiver.waitFor((r) => r.length >= 2, 600_000);
    clearInterval(poll);
    const done = Date.now();
    const { completed_at: completed } = await env.deps.db('invalidation_requests').where({ id: requestId }).first('completed_at');
    const payload = JSON.parse(callback.body);
    const [{ expired }] = await env.deps.db('passes').where({ organisation_id: org.id, is_expired: true }).count<{ expired: number }[]>('* as expired');
    const wall = (done - started) / 1000;
    console.log(`rows:                 ${ROWS} serial numbers (${(csv.length / 1024 / 1024).toFixed(1)} MB CSV)`);
    console.log(`successes/failures:   ${payload.successCount} / ${payload.failureCount}; passes expired: ${expired}`);
    console.log(`upload accepted in:   ${((accepted - started) / 1000).toFixed(2)} s`);
    console.log(`end to end (upload → callback): ${wall.toFixed(2)} s`);
    console.log(`throughput:           ${Math.round(ROWS / wall)} rows/s`);
    const phases = {
      'staging (upload, parse, COPY rows)': accepted - started,
      'chunks (checks, passes, row results)': chunksDone - accepted,
      'wallet pushes, result CSVs, completed': completed.getTime() - chunksDone,
      'callback delivered': done - completed.getTime(),
    };
    for (const [phase, ms] of Object.entries(phases)) console.log(`  ${phase.padEnd(40)} ${(ms / 1000).toFixed(2)} s`);
    printFloors(
      'end-to-end',
      wall,
      await copyFloors(env.deps.db, { csvPath, csvColumns: 1, scratch: env.scratch, table: 'invalidation_rows', where: 'request_id = ?', bindings: [requestId] }),
    );
  } finally {
    await receiver.close();
    await env.close();
  }
}
