import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { parse } from 'csv-parse';
import type { Knex } from 'knex';
import { writeCsvGzip } from '../csvFiles';

export type CsvRecord = Record<string, string>;

/**
 * Rewrites a stored CSV file row by row (streamed: gzip in, gzip out), e.g. to blank an end
 * user's personal columns. `rewrite` returns the row unchanged (same object) to keep it as is.
 * The file is stored again only when some row changed; returns whether it did.
 */
export async function rewriteStoredCsv(trx: Knex.Transaction, fileId: string, rewrite: (row: CsvRecord) => CsvRecord): Promise<boolean> {
  const file = await trx('stored_files').where({ id: fileId }).forUpdate().first('content', 'content_encoding');
  if (!file) return false;
  const source = Readable.from([file.content as Buffer]);
  const text = file.content_encoding === 'gzip' ? source.pipe(zlib.createGunzip()) : source;
  const records = text.pipe(parse({ columns: true, relax_column_count: true }))[Symbol.asyncIterator]() as AsyncIterator<CsvRecord>;
  const first = await records.next();
  if (first.done) return false;
  const columns = Object.keys(first.value);
  let changed = false;
  async function* pages(): AsyncIterable<CsvRecord[]> {
    let page: CsvRecord[] = [];
    const take = (row: CsvRecord) => {
      const out = rewrite(row);
      if (out !== row) changed = true;
      page.push(out);
    };
    take(first.value);
    for (let r = await records.next(); !r.done; r = await records.next()) {
      take(r.value);
      if (page.length >= 1000) {
        yield page;
        page = [];
      }
    }
    yield page;
  }
  const content = await writeCsvGzip(columns, pages());
  if (!changed) return false;
  await trx('stored_files').where({ id: fileId }).update({ content, content_encoding: 'gzip' });
  return true;
}
