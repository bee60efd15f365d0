import zlib from 'node:zlib';
import { stringify } from 'csv-stringify';

/** Renders one CSV cell: lists joined with ";", maps as JSON, times as RFC 3339. */
function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.join(';');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/**
 * Writes rows (from an async source, page by page) as a gzip-compressed CSV with the given
 * columns, with csv-stringify. Only the compressed bytes are held, never the whole text.
 */
export async function writeCsvGzip(columns: readonly string[], rows: AsyncIterable<Record<string, unknown>[]>): Promise<Buffer> {
  const stringifier = stringify({ header: true, columns: [...columns] });
  const gzip = zlib.createGzip();
  const chunks: Buffer[] = [];
  stringifier.pipe(gzip).on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve, reject) => {
    gzip.on('end', resolve);
    gzip.on('error', reject);
    stringifier.on('error', reject);
  });
  for await (const page of rows) {
    for (const row of page) {
      const out: Record<string, string> = {};
      for (const c of columns) out[c] = cell(row[c]);
      if (!stringifier.write(out)) await new Promise((r) => stringifier.once('drain', r));
    }
  }
  stringifier.end();
  await done;
  return Buffer.concat(chunks);
}
