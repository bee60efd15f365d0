import { buffer } from 'node:stream/consumers';
import zlib from 'node:zlib';
import type { Client } from '@temporalio/client';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { Db } from '../../src/db/knex';
import { fileStream } from '../../src/services/files';

export interface Hit {
  where: string;
  count: number;
}

/**
 * Searches every text-like column (text, varchar, json, jsonb, arrays) and every bytea column of
 * every table in the database's public schema, found from the catalog, for `needle`.
 */
export async function findInDatabase(db: Db, needle: string): Promise<Hit[]> {
  const { rows: columns } = await db.raw(
    `SELECT c.table_name, c.column_name, c.data_type
       FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
      WHERE c.table_schema = 'public'
        AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY', 'bytea', 'USER-DEFINED')`,
  );
  const hits: Hit[] = [];
  for (const c of columns as { table_name: string; column_name: string; data_type: string }[]) {
    const cond = c.data_type === 'bytea' ? `position(convert_to(?, 'UTF8') in ??) > 0` : `??::text LIKE '%' || ? || '%'`;
    const bindings = c.data_type === 'bytea' ? [needle, c.column_name] : [c.column_name, needle];
    const { rows } = await db.raw(`SELECT count(*)::int AS n FROM ?? WHERE ${cond}`, [c.table_name, ...bindings]);
    if (rows[0].n > 0) hits.push({ where: `${c.table_name}.${c.column_name}`, count: rows[0].n });
  }
  return hits;
}

/** Every stored file, decompressed when stored gzip, searched for `needle`. */
export async function findInStoredFiles(db: Db, needle: string): Promise<Hit[]> {
  const hits: Hit[] = [];
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const files = await db('stored_files').where('id', '>', after).orderBy('id').limit(50).select('id', 'kind', 'content_encoding', 'generation', 'size');
    if (!files.length) return hits;
    for (const f of files) {
      const stored = await buffer(fileStream(db, f));
      const bytes: Buffer = f.content_encoding === 'gzip' ? zlib.gunzipSync(stored) : stored;
      if (bytes.includes(needle)) hits.push({ where: `stored_files ${f.id} (${f.kind})`, count: 1 });
    }
    after = files[files.length - 1].id;
  }
}

function isPayload(v: unknown): v is Payload {
  return typeof v === 'object' && v !== null && 'data' in v && (v as Payload).data instanceof Uint8Array && 'metadata' in v;
}

function collectPayloads(v: unknown, out: Payload[], seen = new Set<unknown>()): void {
  if (typeof v !== 'object' || v === null || seen.has(v)) return;
  seen.add(v);
  if (isPayload(v)) {
    out.push(v);
    return;
  }
  for (const child of Array.isArray(v) ? v : Object.values(v)) collectPayloads(child, out, seen);
}

/**
 * The full history of a workflow as text: every payload in it (inputs, results, activity inputs
 * and outputs, signals, queries, memos, search attributes, failures), decoded by `codecs`.
 */
export async function workflowHistoryText(client: Client, workflowId: string, codecs: PayloadCodec[]): Promise<string> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const payloads: Payload[] = [];
  collectPayloads(history, payloads);
  let decoded = payloads;
  for (const codec of [...codecs].reverse()) decoded = await codec.decode(decoded);
  const texts = decoded.map((p) => Buffer.from(p.data ?? new Uint8Array()).toString('utf8'));
  return [JSON.stringify(history, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v)), ...texts].join('\n');
}
