import { pipeline } from 'node:stream';
import zlib from 'node:zlib';
import { parse } from 'csv-parse';
import type { Knex } from 'knex';
import { csvGzipStream } from '../csvFiles';
import { fileStream, findStoredFile, replaceStoredFileContent } from '../files';

export type CsvRecord = Record<string, string>;

/**
 * Rewrites a stored CSV file row by row, e.g. to blank an end user's personal columns: its parts
 * are read, inflated, parsed, rewritten, compressed and written as the file's next generation of
 * parts as they go (one part in memory each way). `rewrite` returns the row unchanged (same
 * object) to keep it as is. The new generation replaces the file only when some row changed;
 * returns whether it did.
 */
export async function rewriteStoredCsv(trx: Knex.Transaction, fileId: string, rewrite: (row: CsvRecord) => CsvRecord): Promise<boolean> {
  const file = await findStoredFile(trx, fileId, { forUpdate: true });
  if (!file || Number(file.size) === 0) return false;
  const stages: NodeJS.ReadWriteStream[] = [...(file.content_encoding === 'gzip' ? [zlib.createGunzip()] : []), parse({ columns: true, relax_column_count: true })];
  // pipeline: a failed part read or a corrupt gzip ends the parser with that error (the rewrite throws).
  const parsed = pipeline([fileStream(trx, file), ...stages], () => undefined) as unknown as AsyncIterable<CsvRecord>;
  const records = parsed[Symbol.asyncIterator]() as AsyncIterator<CsvRecord>;
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
  return replaceStoredFileContent(trx, file, csvGzipStream(columns, pages()), 'gzip', () => changed);
}
