import { once } from 'node:events';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { stringify } from 'csv-stringify/sync';
import type { Knex } from 'knex';
import { copyQueryOut } from '../db/copy';
import type { Db } from '../db/knex';

/** Renders one CSV cell: lists joined with ";", maps as JSON, times as RFC 3339; numbers stay numbers. */
function cell(v: unknown): string | number {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.join(';');
  if (typeof v === 'object') return JSON.stringify(v);
  if (typeof v === 'number') return v;
  return String(v);
}

/**
 * Writes rows (from an async source, page by page) as a gzip-compressed CSV with the given
 * columns, with csv-stringify. Each page is rendered in one call and compressed as it comes, so
 * only the compressed bytes are held, never the whole text. Every result CSV (success, failure,
 * audit report, erasure rewrite) is written here, so formula escaping is in one place.
 */
export async function writeCsvGzip(columns: readonly string[], rows: AsyncIterable<Record<string, unknown>[]>): Promise<Buffer> {
  const gzip = zlib.createGzip();
  const chunks: Buffer[] = [];
  gzip.on('data', (c: Buffer) => chunks.push(c));
  const ended = once(gzip, 'end');
  let header = true;
  for await (const page of rows) {
    const text = stringify(
      page.map((row) => columns.map((c) => cell(row[c]))),
      // OWASP CSV injection: a text cell starting with = + - @ tab or CR gets a leading apostrophe,
      // so a spreadsheet shows it instead of running it (negative numbers stay numbers).
      { header, columns: [...columns], escape_formulas: true },
    );
    header = false;
    if (!gzip.write(text)) await once(gzip, 'drain');
  }
  if (header) gzip.write(stringify([], { header: true, columns: [...columns], escape_formulas: true }));
  gzip.end();
  await ended;
  return Buffer.concat(chunks);
}

/**
 * A query's rows as a gzip-compressed CSV with a header (its column aliases), streamed by
 * PostgreSQL's COPY TO STDOUT straight into gzip: no row passes through a JavaScript object.
 * Cells are rendered as `cell` renders them, by the SQL fragments below.
 */
export async function copyCsvGzip(db: Db, sql: string, bindings: readonly Knex.RawBinding[]): Promise<Buffer> {
  const gzip = zlib.createGzip();
  const chunks: Buffer[] = [];
  const collected = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk);
      done();
    },
  });
  await Promise.all([copyQueryOut(db, sql, bindings, gzip), pipeline(gzip, collected)]);
  return Buffer.concat(chunks);
}

/**
 * SQL rendering a text cell as writeCsvGzip does (csv-stringify's escape_formulas, OWASP CSV
 * injection): a leading = + - @ tab or CR gets an apostrophe in front.
 */
export const sqlSafeText = (expr: string) =>
  `(CASE WHEN left(${expr}, 1) IN ('=', '+', '-', '@', E'\\t', E'\\r') THEN '''' || ${expr} ELSE ${expr} END)`;

/** SQL rendering a timestamptz as RFC 3339 in UTC with milliseconds (Date.toISOString). */
export const sqlIsoTime = (expr: string) => `to_char(${expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** SQL rendering a text[] as its items joined with ";" (formula-escaped as one cell). */
export const sqlList = (expr: string) => sqlSafeText(`array_to_string(${expr}, ';')`);
