import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readDistributionCsv, readInvalidationCsv } from '../../src/services/csvUpload';

/**
 * An upload's temporary file disappears when its client hangs up: reading it must fail that upload
 * with a field error, not throw an unhandled stream 'error' into the process (which failed
 * whichever test file ran next in the same Jest worker).
 */
describe('reading an uploaded CSV whose file is gone', () => {
  const gone = path.join(os.tmpdir(), `steward-upload-gone-${process.pid}`, 'file.csv');
  let uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);
  beforeEach(() => {
    uncaught = [];
    process.on('uncaughtException', onUncaught);
  });
  afterEach(() => {
    process.off('uncaughtException', onUncaught);
  });

  it.each([
    ['distribution', readDistributionCsv],
    ['invalidation', readInvalidationCsv],
  ])('%s: rejects naming input.file, and nothing escapes', async (_kind, read) => {
    const pages = async () => {
      for await (const _page of read(gone)) void _page;
    };
    await expect(pages()).rejects.toMatchObject({ field: 'input.file', message: expect.stringMatching(/not a readable CSV file \(ENOENT/) });
    await new Promise((r) => setImmediate(r));
    expect(uncaught).toEqual([]);
  });

  it('a file that is there is still read to the end', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steward-csv-'));
    const file = path.join(dir, 'serials.csv');
    fs.writeFileSync(file, 'serialNumber\nA1\nA2\n');
    const rows = [];
    for await (const page of readInvalidationCsv(file)) rows.push(...page);
    fs.rmSync(dir, { recursive: true });
    expect(rows.map((r) => r.raw)).toEqual([{ serialNumber: 'A1' }, { serialNumber: 'A2' }]);
  });
});
