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
 * Writes rows (from an async source, page by page) as a CSV with the given columns, with
 * csv-stringify. Returns the whole file; result files are bounded by the 32 MB upload limit.
 */
export async function writeCsv(columns: readonly string[], rows: AsyncIterable<Record<string, unknown>[]>): Promise<Buffer> {
  const stringifier = stringify({ header: true, columns: [...columns] });
  const chunks: Buffer[] = [];
  stringifier.on('data', (c: Buffer | string) => chunks.push(Buffer.from(c)));
  const done = new Promise<void>((resolve, reject) => {
    stringifier.on('end', resolve);
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
