import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { Db } from '../src/db/knex';

/**
 * PostgreSQL's own floor for writing a batch's rows, timed in the same run as the job it judges:
 * `bare`, COPY of the uploaded CSV into a text table without indexes (what the bench printed first);
 * `shaped`, COPY of the rows the job wrote into a table `LIKE <table> INCLUDING ALL` (same
 * columns, defaults and indexes), the floor the 10x goal is set against.
 */
export interface Floors {
  bareMs: number;
  shapedMs: number;
}

const elapsed = async (work: () => Promise<unknown>) => {
  const t0 = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - t0) / 1e6;
};

export async function copyFloors(
  db: Db,
  o: { csvPath: string; csvColumns: number; scratch: string; table: string; where: string; bindings: string[] },
): Promise<Floors> {
  const cols = Array.from({ length: o.csvColumns }, (_, i) => `c${i} text`).join(', ');
  await db.raw(`DROP TABLE IF EXISTS floor_bare; CREATE TABLE floor_bare (${cols})`);
  const bareMs = await elapsed(() => db.raw(`COPY floor_bare FROM '${o.csvPath}' WITH (FORMAT csv, HEADER true)`));

  // The job's own rows, exported (untimed) then copied into an empty table shaped like theirs, from
  // this process (COPY FROM STDIN, as the staging does: the server may not read our files).
  const dump = `${o.scratch}/floor-${o.table}.copy`;
  const conn = (await db.client.acquireConnection()) as PoolClient;
  try {
    const select = db.raw(`SELECT * FROM ${o.table} WHERE ${o.where}`, o.bindings).toQuery();
    await pipeline(conn.query(copyTo(`COPY (${select}) TO STDOUT`)), fs.createWriteStream(dump));
    await conn.query(`DROP TABLE IF EXISTS floor_shaped; CREATE TABLE floor_shaped (LIKE ${o.table} INCLUDING ALL)`);
  } finally {
    await db.client.releaseConnection(conn);
  }
  const shapedMs = await elapsed(async () => {
    const c = (await db.client.acquireConnection()) as PoolClient;
    try {
      await pipeline(fs.createReadStream(dump), c.query(copyFrom('COPY floor_shaped FROM STDIN')));
    } finally {
      await db.client.releaseConnection(c);
    }
  });
  await db.raw('DROP TABLE floor_bare; DROP TABLE floor_shaped');
  return { bareMs, shapedMs };
}

export function printFloors(label: string, wallSeconds: number, f: Floors): void {
  console.log(`PostgreSQL COPY floors (same run):`);
  console.log(`  bare text table, the uploaded CSV (file):   ${(f.bareMs / 1000).toFixed(2)} s  → ${label}/COPY = ${(wallSeconds / (f.bareMs / 1000)).toFixed(1)}x`);
  console.log(`  LIKE ... INCLUDING ALL, rows written (STDIN): ${(f.shapedMs / 1000).toFixed(2)} s  → ${label}/COPY = ${(wallSeconds / (f.shapedMs / 1000)).toFixed(1)}x (goal ≤ 10x)`);
}
