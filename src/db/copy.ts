import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Knex } from 'knex';
import type { PoolClient } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { Db } from './knex';

/**
 * PostgreSQL COPY through pg-copy-streams on a knex connection: rows stream in (COPY FROM STDIN)
 * inside the caller's transaction, and query results stream out (COPY TO STDOUT) without being
 * paged through Node objects.
 */
export type CopyValue = string | number | boolean | null | undefined;

/** One value in COPY's text format: \N for NULL, backslash escapes for the characters it frames with. */
export function copyText(v: CopyValue): string {
  if (v === null || v === undefined) return '\\N';
  const s = String(v);
  return /[\\\t\n\r]/.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : s;
}

/** Rows per text slice written to COPY FROM STDIN: small enough to stay a young-generation string. */
const COPY_SLICE_ROWS = 256;

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** One row in COPY's text format, without its newline. */
export function copyLine(row: readonly CopyValue[]): string {
  return row.map(copyText).join('\t');
}

/** Streams pages of rows into `table` (COPY FROM STDIN, text format) on the transaction's connection. */
export async function copyRowsIn(trx: Knex.Transaction, table: string, columns: readonly string[], pages: AsyncIterable<CopyValue[][]> | Iterable<CopyValue[][]>): Promise<void> {
  async function* lines() {
    for await (const page of pages) yield page.map(copyLine);
  }
  await copyLinesIn(trx, table, columns, lines());
}

/**
 * Streams pages of rows already in COPY's text format (copyLine) into `table`: for a caller that
 * holds many rows across awaits, one string a row instead of an array of values and their strings.
 */
export async function copyLinesIn(trx: Knex.Transaction, table: string, columns: readonly string[], pages: AsyncIterable<string[]> | Iterable<string[]>): Promise<void> {
  const connection = (await trx.client.acquireConnection()) as PoolClient;
  const sink = connection.query(copyFrom(`COPY ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) FROM STDIN`));
  // Text in slices of at most 256 rows, each turned into a Buffer as soon as it is made (byte mode),
  // with at most ~one slice waiting for the socket. A whole page's text (1,000 rows, often over V8's
  // 128 KB large-object size) went to the large-object space, and up to 16 of them queued behind a
  // busy COPY in object mode: they outlived young-generation GCs and piled up as garbage until a
  // full GC, so the API's heap grew with the length of an upload.
  async function* slices() {
    for await (const page of pages) {
      for (let at = 0; at < page.length; at += COPY_SLICE_ROWS) yield page.slice(at, at + COPY_SLICE_ROWS).join('\n') + '\n';
    }
  }
  await pipeline(Readable.from(slices(), { objectMode: false, highWaterMark: 64 * 1024 }), sink);
}

/**
 * Streams the result of a query (its bindings inlined as literals: COPY takes no parameters) into
 * `sink` as CSV with a header row, on a pooled connection of its own.
 */
export async function copyQueryOut(db: Db, sql: string, bindings: readonly Knex.RawBinding[], sink: Writable): Promise<void> {
  const query = db.raw(sql, bindings as Knex.RawBinding[]).toQuery();
  const connection = (await db.client.acquireConnection()) as PoolClient;
  try {
    await pipeline(connection.query(copyTo(`COPY (${query}) TO STDOUT WITH (FORMAT csv, HEADER true)`)), sink);
  } catch (err) {
    // A COPY abandoned midway (the reader stopped) leaves the connection mid-protocol: the pool
    // discards a connection marked disposed instead of handing it out again.
    (connection as PoolClient & { __knex__disposed?: unknown }).__knex__disposed = err;
    throw err;
  } finally {
    await db.client.releaseConnection(connection);
  }
}

/** A PostgreSQL text[] literal (for COPY or a ::text[] cast): every item quoted, quotes and backslashes escaped. */
export function pgTextArray(items: readonly string[]): string {
  return `{${items.map((i) => `"${i.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}
