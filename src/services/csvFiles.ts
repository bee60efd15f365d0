import { Readable } from 'node:stream';
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
 * Rows (from an async source, page by page) as a gzip-compressed CSV stream with the given
 * columns, with csv-stringify. Each page is rendered in one call and compressed as the reader
 * consumes it (backpressure reaches the page source), so neither the text nor the compressed file
 * is ever held whole. Every CSV written from JavaScript rows (audit report, erasure rewrite) is
 * written here, so formula escaping is in one place. A source error ends the stream with it.
 */
export function csvGzipStream(columns: readonly string[], rows: AsyncIterable<Record<string, unknown>[]>): Readable {
  async function* text() {
    let header = true;
    for await (const page of rows) {
      // OWASP CSV injection: a text cell starting with = + - @ tab or CR gets a leading apostrophe,
      // so a spreadsheet shows it instead of running it (negative numbers stay numbers).
      yield stringify(
        page.map((row) => columns.map((c) => cell(row[c]))),
        { header, columns: [...columns], escape_formulas: true },
      );
      header = false;
    }
    if (header) yield stringify([], { header: true, columns: [...columns], escape_formulas: true });
  }
  const gzip = zlib.createGzip();
  // pipeline destroys gzip with a source error, so the reader sees it; nothing else to handle here.
  pipeline(Readable.from(text()), gzip).catch(() => undefined);
  return gzip;
}

/**
 * A query's rows as a gzip-compressed CSV stream with a header (its column aliases), from
 * PostgreSQL's COPY TO STDOUT straight into gzip: no row passes through a JavaScript object, and
 * COPY only runs as fast as the reader consumes. Cells are rendered as `cell` renders them, by the
 * SQL fragments below. A COPY error ends the stream with it.
 */
export function copyCsvGzip(db: Db, sql: string, bindings: readonly Knex.RawBinding[]): Readable {
  const gzip = zlib.createGzip();
  copyQueryOut(db, sql, bindings, gzip).catch((err) => gzip.destroy(err));
  return gzip;
}

/**
 * SQL rendering a text cell as csvGzipStream does (csv-stringify's escape_formulas, OWASP CSV
 * injection): a leading = + - @ tab or CR gets an apostrophe in front.
 */
export const sqlSafeText = (expr: string) =>
  `(CASE WHEN left(${expr}, 1) IN ('=', '+', '-', '@', E'\\t', E'\\r') THEN '''' || ${expr} ELSE ${expr} END)`;

/** SQL rendering a timestamptz as RFC 3339 in UTC with milliseconds (Date.toISOString). */
export const sqlIsoTime = (expr: string) => `to_char(${expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** SQL rendering a text[] as its items joined with ";" (formula-escaped as one cell). */
export const sqlList = (expr: string) => sqlSafeText(`array_to_string(${expr}, ';')`);
