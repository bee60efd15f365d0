import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDb, migrateLatest } from '../src/db/knex';
import { startEmbeddedPostgres } from '../src/dev/embeddedPostgres';
import { parseSearchCriteria } from '../src/domain/dci/query';
import { REGISTRIES } from '../src/domain/dci/registries';
import { generateRecords } from '../src/services/dci/generate';
import { upsertRecords } from '../src/services/dci/records';
import { searchPage } from '../src/services/dci/search';
import { freePort } from '../src/dev/freePort';

/**
 * `npm run bench registry`: expression searches over 100,000 synthetic Farmer Registry records
 * (count + one sorted page, as a sync search runs them), p50/p95 per query. Runs on a fresh
 * embedded PostgreSQL (or BENCH_DATABASE_URL, which then gets the records).
 */
const RECORDS = Number(process.env.BENCH_REGISTRY_RECORDS ?? 100_000);
const RUNS = 40;

const expr = (query: unknown) => ({ type: 'ns:org:QueryType:NoSql', value: { expression: { query } } });
const QUERIES: { name: string; criteria: Record<string, unknown> }[] = [
  {
    name: '$and $eq + $lt, sorted by poverty_score, page 1 of 100',
    criteria: { query_type: 'expression', query: expr({ $and: [{ farm_type: { $eq: 'Cooperative farms' } }, { 'family_details.poverty_score': { $lt: 20 } }] }), sort: [{ attribute_name: 'poverty_score', sort_order: 'asc' }], pagination: { page_size: 100, page_number: 1 } },
  },
  {
    name: '$in place + $gte group_size, page 5 of 100',
    criteria: { query_type: 'expression', query: expr({ 'farm_info.location.name': { $in: ['Chiang Mai', 'Lampang'] }, 'family_details.group_size': { $gte: 4 } }), pagination: { page_size: 100, page_number: 5 } },
  },
  {
    name: 'seed example: latitude/longitude ranges ($gte/$lte), page of 1000',
    criteria: {
      query_type: 'expression',
      query: expr({ $and: [{ 'farm_info.location.geo.latitude': { $gte: 9.5, $lte: 9.6 } }, { 'farm_info.location.geo.longitude': { $gte: 100, $lte: 100.05 } }] }),
      pagination: { page_size: 1000 },
    },
  },
  {
    name: '$or of $eq on a nested list (crop_type) and $ne, page of 100',
    criteria: { query_type: 'expression', query: expr({ $or: [{ 'farm_details.farming_activities.crop_production.crop_type': 'Rice' }, { 'machineries_details.type': 'Hand tools' }], 'family_details.group_type': { $ne: 'household' } }), pagination: { page_size: 100 } },
  },
  {
    name: 'idtype-value (one farmer by NationalID)',
    criteria: { query_type: 'idtype-value', query: { type: 'NationalID', value: 'M0000420000042' }, pagination: { page_size: 10 } },
  },
];

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

export default async function registryBench(): Promise<void> {
  let stop = async () => undefined as void;
  let url = process.env.BENCH_DATABASE_URL;
  if (!url) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steward-bench-'));
    fs.chmodSync(dir, 0o755);
    const pg = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), port: await freePort(), database: 'bench', persistent: false });
    url = pg.url;
    stop = async () => {
      await pg.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    };
  }
  const db = createDb(url);
  try {
    await migrateLatest(db);
    const started = Date.now();
    for (let start = 0; start < RECORDS; start += 10_000) {
      await upsertRecords(db, 'fr', generateRecords('fr', Math.min(10_000, RECORDS - start), 42, start));
      process.stderr.write(`\r  loading ${Math.min(start + 10_000, RECORDS)} / ${RECORDS} FR records`);
    }
    await db.raw('ANALYZE registry_records');
    console.log(`\n  ${RECORDS} FR records loaded (with life events and the jsonb index) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    console.log(`  ${'query'.padEnd(70)} ${'matches'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)}`);
    for (const q of QUERIES) {
      const parsed = parseSearchCriteria(REGISTRIES.fr, q.criteria);
      const pageSize = parsed.pagination?.pageSize ?? 100;
      const pageNumber = parsed.pagination?.pageNumber ?? 1;
      const times: number[] = [];
      let total = 0;
      for (let i = 0; i < RUNS + 3; i++) {
        const t0 = process.hrtime.bigint();
        total = (await searchPage(db, 'fr', parsed, pageSize, pageNumber)).total;
        if (i >= 3) times.push(Number(process.hrtime.bigint() - t0) / 1e6); // 3 warm-up runs
      }
      times.sort((a, b) => a - b);
      console.log(`  ${q.name.padEnd(70)} ${String(total).padStart(8)} ${percentile(times, 50).toFixed(1).padStart(8)} ${percentile(times, 95).toFixed(1).padStart(8)}`);
    }
  } finally {
    await db.destroy();
    await stop();
  }
}
