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

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Streams pages of rows into `table` (COPY FROM STDIN, text format) on the transaction's connection. */
export async function copyRowsIn(trx: Knex.Transaction, table: string, columns: readonly string[], pages: AsyncIterable<CopyValue[][]> | Iterable<CopyValue[][]>): Promise<void> {
  const connection = (await trx.client.acquireConnection()) as PoolClient;
  const sink = connection.query(copyFrom(`COPY ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) FROM STDIN`));
  async function* lines() {
    for await (const page of pages) {
      if (page.length) yield page.map((row) => row.map(copyText).join('\t')).join('\n') + '\n';
    }
  }
  // Byte mode with a small buffer: each page's text (often over V8's 128 KB large-object size) becomes
  // a Buffer as soon as it is made and at most ~one page waits for the socket. In object mode up to
  // 16 page strings queued behind a busy COPY, outlived young-generation GCs and piled up as
  // large-object garbage until a full GC: the API's heap grew with the length of the upload.
  await pipeline(Readable.from(lines(), { objectMode: false, highWaterMark: 64 * 1024 }), sink);
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
