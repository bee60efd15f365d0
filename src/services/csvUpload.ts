import fs from 'node:fs';
import { Transform } from 'node:stream';
import { parse } from 'csv-parse';
import { checkHeader, csvRecordToPassDetails } from '../domain/distributionCsv';
import type { StagedRow } from './batchRequests';
import { DomainError } from './errors';

/** The longest record (row) an upload may have, in characters: no real row comes near it. */
export const MAX_RECORD_CHARS = 64 * 1024;

/** How one kind of upload reads its CSV: a header check and a row mapping. */
interface CsvShape {
  /** An error message for a header this upload cannot use, or null. */
  checkHeader(header: string[]): string | null;
  toRow(header: string[], record: string[], rowNumber: number): StagedRow;
}

/**
 * Reads an uploaded CSV page by page. A file that is not CSV, or has a bad header, fails the
 * request (field input.file); a malformed row fails alone, with its row number.
 */
async function* readCsv(file: string, shape: CsvShape, pageSize = 1000): AsyncIterable<StagedRow[]> {
  // Text must be UTF-8 (a wrong encoding would store mangled names), a record at most 64 KB.
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let offset = 0;
  const utf8 = new Transform({
    transform(chunk: Buffer, _enc, done) {
      try {
        const text = decoder.decode(chunk, { stream: true });
        offset += chunk.length;
        done(null, text);
      } catch {
        done(new DomainError('BAD_USER_INPUT', `is not UTF-8 text (an invalid byte sequence within bytes ${offset}-${offset + chunk.length}); save the file as UTF-8`, 'input.file'));
      }
    },
    flush(done) {
      try {
        done(null, decoder.decode());
      } catch {
        done(new DomainError('BAD_USER_INPUT', 'is not UTF-8 text (it ends inside a character); save the file as UTF-8', 'input.file'));
      }
    },
  });
  const source = fs.createReadStream(file);
  const parser = source.pipe(utf8).pipe(parse({ bom: true, relax_column_count: true, skip_empty_lines: true, max_record_size: MAX_RECORD_CHARS }));
  // pipe() forwards no errors: a file that cannot be read (its request's temporary folder is gone
  // once the client hangs up) must fail this upload, not the process with an unhandled 'error'.
  source.on('error', (err) => parser.destroy(err));
  utf8.on('error', (err) => parser.destroy(err));
  parser.on('close', () => source.destroy());
  let header: string[] | undefined;
  let rowNumber = 0;
  let page: StagedRow[] = [];
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (!header) {
        const problem = shape.checkHeader(record.map((h) => h.trim()));
        if (problem) throw new DomainError('BAD_USER_INPUT', problem, 'input.file');
        header = record.map((h) => h.trim());
        continue;
      }
      page.push(shape.toRow(header, record, ++rowNumber));
      if (page.length >= pageSize) {
        yield page;
        page = [];
      }
    }
  } catch (err) {
    if (err instanceof DomainError) throw err;
    throw new DomainError('BAD_USER_INPUT', `is not a readable CSV file (${(err as Error).message}) at data row ${rowNumber + 1}`, 'input.file');
  }
  if (!header) throw new DomainError('BAD_USER_INPUT', 'is empty: a CSV needs a header row and at least one row', 'input.file');
  if (page.length) yield page;
}

/** Distribution: DistributionPassDetailsInput columns, dynamic fields as their own columns. */
export function readDistributionCsv(file: string): AsyncIterable<StagedRow[]> {
  return readCsv(file, {
    checkHeader,
    toRow(header, record, rowNumber) {
      const r = csvRecordToPassDetails(header, record, rowNumber);
      return { rowNumber, raw: r.raw, error: r.ok ? undefined : r.error };
    },
  });
}

/** Invalidation: a `serialNumber` column (other columns are ignored). */
export function readInvalidationCsv(file: string): AsyncIterable<StagedRow[]> {
  return readCsv(file, {
    checkHeader: (header) => (header.includes('serialNumber') ? null : 'the header row needs a serialNumber column'),
    toRow(header, record, rowNumber) {
      const serialNumber = (record[header.indexOf('serialNumber')] ?? '').trim();
      return { rowNumber, raw: { serialNumber }, error: serialNumber ? undefined : `row ${rowNumber}: serialNumber is empty` };
    },
  });
}
