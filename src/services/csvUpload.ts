import fs from 'node:fs';
import { parse } from 'csv-parse';
import { checkHeader, csvRecordToPassDetails } from '../domain/distributionCsv';
import type { StagedRow } from './batchRequests';
import { DomainError } from './errors';

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
  const parser = fs.createReadStream(file).pipe(parse({ bom: true, relax_column_count: true, skip_empty_lines: true }));
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
