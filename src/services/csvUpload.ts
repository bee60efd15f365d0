import fs from 'node:fs';
import { parse } from 'csv-parse';
import { checkHeader, csvRecordToPassDetails } from '../domain/distributionCsv';
import type { StagedRow } from './batchDistribution';
import { DomainError } from './errors';

/**
 * Reads an uploaded distribution CSV page by page. A file that is not CSV, or has a bad header,
 * fails the request; a malformed row fails alone, with its row number.
 */
export async function* readDistributionCsv(file: string, pageSize = 1000): AsyncIterable<StagedRow[]> {
  const parser = fs.createReadStream(file).pipe(
    parse({ bom: true, relax_column_count: true, skip_empty_lines: true, trim: false }),
  );
  let header: string[] | undefined;
  let rowNumber = 0;
  let page: StagedRow[] = [];
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (!header) {
        const problem = checkHeader(record);
        if (problem) throw new DomainError('BAD_USER_INPUT', problem, 'input.file');
        header = record.map((h) => h.trim());
        continue;
      }
      rowNumber++;
      const r = csvRecordToPassDetails(header, record, rowNumber);
      page.push({ rowNumber, raw: r.raw, error: r.ok ? undefined : r.error });
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
