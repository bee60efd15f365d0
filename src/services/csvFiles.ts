import { once } from 'node:events';
import zlib from 'node:zlib';
import { stringify } from 'csv-stringify/sync';

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
