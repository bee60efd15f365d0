import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { peakRssMb, resetPeakRss } from '../src/dev/workerProcess';
import { PassLinks } from '../src/services/passLinks';
import { CallbackReceiver } from '../test/helpers/receiver';
import { BenchEnv, createBenchOrg, startBenchEnv } from './env';
import { copyFloors, printFloors } from './floors';
import { benchGroups, cpuSnapshot, CpuSnapshot, cpuUse, CpuUse, speedupBound } from './cpu';
import { resetStatements, topStatements } from './pgStatements';

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
/** 1: skip the 2-worker runs. */
const SECOND_WORKER = process.env.BENCH_WORKERS !== '1';
/**
 * Runs of each worker count for "2 workers vs 1", alternated (1, 2, 1, 2, ...) so that the
 * growing passes table weighs on both alike; the medians are compared (single runs here differ by
 * up to ±20%).
 */
const WORKER_RUNS = Number(process.env.BENCH_WORKER_RUNS ?? 3);
const CHUNK_PHASE = 'chunks (validate, serials, passes)';
/** Rows of the scale run (one CSV, under the 32 MB upload limit); 0 or unset: no scale run. */
const SCALE_ROWS = Number(process.env.BENCH_SCALE_ROWS ?? 0);

interface Run {
  rows: number;
  workers: number;
  sizeMb: number;
  requestId: string;
  success: number;
  failure: number;
  wall: number;
  phases: Record<string, number>;
  workerRssMb: number[];
  apiRssMb: number;
  /** CPU used by each service during the chunk phase. */
  chunkCpu: CpuUse;
  /** With BENCH_PG_STATEMENTS: where PostgreSQL's time in the chunk phase went. */
  chunkStatements: string[];
}

/** One CSV upload to distributePassesCSV, timed to its signed callback, with each phase and peak RSS. */
async function runDistribution(env: BenchEnv, receiver: CallbackReceiver, token: string, orgId: string, rows: number): Promise<Run> {
  const csvPath = path.join(env.scratch, `distribution-${rows}.csv`);
  // Compact rows so that 1,000,000 fit in one upload (~24 MB).
  const out = fs.openSync(csvPath, 'w');
  fs.writeSync(out, 'externalReferenceID,membership_number,membership_name\n');
  for (let start = 1; start <= rows; start += 50_000) {
    const lines: string[] = [];
    for (let i = start; i < Math.min(start + 50_000, rows + 1); i++) lines.push(`c${i},${i},N${i}\n`);
    fs.writeSync(out, lines.join(''));
  }
  fs.closeSync(out);
  fs.chmodSync(csvPath, 0o644);
  const sizeMb = fs.statSync(csvPath).size / 1024 / 1024;

  for (const p of [env.api, ...env.workers]) resetPeakRss(p.pid!);
  const started = Date.now();
  const form = new FormData();
  form.append('operations', JSON.stringify({ query: 'mutation($input: DistributionRequestCSV) { distributePassesCSV(input: $input) { message } }', variables: { input: { title: 'Bench Pass', file: null } } }));
  form.append('map', JSON.stringify({ 0: ['variables.input.file'] }));
  form.append('0', new Blob([fs.readFileSync(csvPath)], { type: 'text/csv' }), 'distribution.csv');
  const res = (await (await fetch(`${env.baseUrl}/query`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })).json()) as any;
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  const accepted = Date.now();
  await resetStatements(env.deps.db);
  const groups = benchGroups({ workerPids: env.workers.map((w) => w.pid!), apiPid: env.api.pid!, postgresPort: env.ports.postgres, temporalPort: env.ports.temporal });
  const cpuAccepted = cpuSnapshot(groups);
  let cpuChunksDone: CpuSnapshot | undefined;
  let chunkStatements: Promise<string[]> = Promise.resolve([]);
  const requestId = /request ([0-9a-f-]{36})/.exec(res.data.distributePassesCSV.message)![1];
  // Poll the request row to see when the last chunk committed (results and callback follow).
  let chunksDone = 0;
  const poll = setInterval(async () => {
    const r = await env.deps.db('distribution_requests').where({ id: requestId }).first('processed_count');
    if (!chunksDone && r?.processed_count === rows) {
      chunksDone = Date.now();
      cpuChunksDone = cpuSnapshot(groups);
      chunkStatements = topStatements(env.deps.db);
    }
  }, 50);
  const callbacks = await receiver.waitFor((r) => r.some((c) => c.body.includes(requestId)), 1_800_000);
  clearInterval(poll);
  const done = Date.now();
  const payload = JSON.parse(callbacks.find((c) => c.body.includes(requestId))!.body);
  const { completed_at: completed } = await env.deps.db('distribution_requests').where({ id: requestId }).first('completed_at');
  return {
    rows,
    workers: env.workers.length,
    sizeMb,
    requestId,
    success: payload.successCount,
    failure: payload.failureCount,
    wall: (done - started) / 1000,
    phases: {
      'staging (upload, parse, COPY rows)': (accepted - started) / 1000,
      [CHUNK_PHASE]: (chunksDone - accepted) / 1000,
      'results (CSV files, request completed)': (completed.getTime() - chunksDone) / 1000,
      'callback delivered': (done - completed.getTime()) / 1000,
    },
    workerRssMb: env.workers.map((w) => peakRssMb(w.pid!)),
    apiRssMb: peakRssMb(env.api.pid!),
    chunkCpu: cpuUse(cpuAccepted, cpuChunksDone!, os.cpus().length),
    chunkStatements: await chunkStatements,
  };
}

function printRun(r: Run): void {
  console.log(`\n--- ${r.rows} rows (${r.sizeMb.toFixed(1)} MB CSV), ${r.workers} worker process(es) ---`);
  console.log(`successes/failures:   ${r.success} / ${r.failure}`);
  console.log(`end to end (upload → signed callback): ${r.wall.toFixed(2)} s, ${Math.round(r.rows / r.wall)} rows/s`);
  for (const [phase, seconds] of Object.entries(r.phases)) console.log(`  ${phase.padEnd(40)} ${seconds.toFixed(2)} s`);
  console.log(`CPU in the chunk phase: ${r.chunkCpu.text}`);
  if (r.chunkStatements.length) console.log(`PostgreSQL's statements in the chunk phase (time, calls, rows):\n${r.chunkStatements.map((l) => `  ${l}`).join('\n')}`);
  console.log(`peak RSS: worker(s) ${r.workerRssMb.map((m) => `${m.toFixed(0)} MB`).join(', ')}; API ${r.apiRssMb.toFixed(0)} MB`);
}

/**
 * Distribution: generated CSVs uploaded to distributePassesCSV (the API and the workers are their
 * own processes), timed to the signed callback, against PostgreSQL COPY floors of the same rows.
 * Runs: ROWS with 1 worker; ROWS with 2 workers (the chunk phase compared); SCALE_ROWS with 2.
 */
export default async function distributionBench(): Promise<void> {
  const env = await startBenchEnv();
  const receiver = new CallbackReceiver();
  const receiverUrl = await receiver.start();
  try {
    const { org, token } = await createBenchOrg(env.deps, { id: 'bench', name: 'Bench', prefix: '7001', fields: ['membership_number', 'membership_name'], callbackUrl: `${receiverUrl}/results` });

    // What the passApiKey (a compact JWE, AES-256-GCM) costs per 100,000 passes, on one core.
    const links = new PassLinks(env.deps.config);
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < 100_000; i++) links.apiKey({ serialNumber: `7001${String(i).padStart(10, '0')}`, organisationId: org.id });
    const cpu = process.cpuUsage(cpu0);
    console.log(`passApiKey (JWE dir/A256GCM via node:crypto): ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(0)} ms (${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU) per 100,000 keys`);

    const one = await runDistribution(env, receiver, token, org.id, ROWS);
    printRun(one);
    const floors = await copyFloors(env.deps.db, {
      csvPath: path.join(env.scratch, `distribution-${ROWS}.csv`), csvColumns: 3, scratch: env.scratch,
      table: 'passes', where: 'distribution_request_id = ?', bindings: [one.requestId],
    });
    printFloors('end-to-end', one.wall, floors);

    let base = one;
    if (SECOND_WORKER) {
      const runs: Record<1 | 2, Run[]> = { 1: [one], 2: [] };
      for (let i = 0; i < WORKER_RUNS; i++) {
        if (i > 0) {
          await env.removeWorker();
          runs[1].push(await runDistribution(env, receiver, token, org.id, ROWS));
        }
        await env.addWorker();
        runs[2].push(await runDistribution(env, receiver, token, org.id, ROWS));
      }
      printRun(runs[2][0]);
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      const chunkMedian = (w: 1 | 2) => median(runs[w].map((r) => r.phases[CHUNK_PHASE]));
      const busyMedian = median(runs[1].map((r) => r.chunkCpu.busy));
      for (const w of [1, 2] as const) {
        console.log(`chunk phase, ${w} worker(s), ${runs[w].length} runs: ${runs[w].map((r) => `${r.phases[CHUNK_PHASE].toFixed(2)} s (${r.chunkCpu.busy.toFixed(2)} cores busy)`).join(', ')}`);
      }
      const [c1, c2] = [chunkMedian(1), chunkMedian(2)];
      console.log(`chunk phase (medians): 1 worker ${c1.toFixed(2)} s, 2 workers ${c2.toFixed(2)} s → ${(c1 / c2).toFixed(2)}x (goal ≥ 1.5x)`);
      console.log(
        `  this machine's bound: with 1 worker the services kept ${busyMedian.toFixed(2)} of ${os.cpus().length} cores busy, so no number of workers ` +
          `can make the chunk phase more than ${speedupBound(busyMedian, os.cpus().length).toFixed(2)}x faster here (the same CPU work on every core)`,
      );
      base = runs[2][runs[2].length - 1];
    }
    if (SCALE_ROWS) {
      const big = await runDistribution(env, receiver, token, org.id, SCALE_ROWS);
      printRun(big);
      const perRow = (r: Run) => (r.wall / r.rows) * 1e6;
      const maxWorker = (r: Run) => Math.max(...r.workerRssMb);
      console.log(
        `scale ${SCALE_ROWS} vs ${ROWS} rows (${base.workers} worker(s)): time per row ${perRow(big).toFixed(1)} vs ${perRow(base).toFixed(1)} µs (${(perRow(big) / perRow(base)).toFixed(2)}x, linear = 1.0); ` +
          `worker peak RSS ${maxWorker(big).toFixed(0)} vs ${maxWorker(base).toFixed(0)} MB (${((maxWorker(big) / maxWorker(base) - 1) * 100).toFixed(0)}%), ` +
          `API ${big.apiRssMb.toFixed(0)} vs ${base.apiRssMb.toFixed(0)} MB (${((big.apiRssMb / base.apiRssMb - 1) * 100).toFixed(0)}%) (goal: within 20%)`,
      );
    }
  } finally {
    await receiver.close();
    await env.close();
  }
}
