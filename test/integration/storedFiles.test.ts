import crypto from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import zlib from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { completeBatch } from '../../src/services/batchRequests';
import { rewriteStoredCsv } from '../../src/services/erasure/csvRewrite';
import { FILE_PART_BYTES, FileStore, fileStream, findStoredFile, readFileParts } from '../../src/services/files';
import { createTestOrg, Harness, startHarness, tokenFor } from '../helpers/harness';

/** A GET on the real API over HTTP, with the raw body bytes (node:http: no automatic inflating). */
function get(url: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => buffer(res).then((body) => resolve({ status: res.statusCode!, headers: res.headers, body }), reject)).on('error', reject);
  });
}

/** `bytes` as a stream of odd-sized chunks, so parts never line up with what the writer receives. */
function chunked(bytes: Buffer, size = 100_003): Readable {
  return Readable.from((function* () {
    for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
  })());
}

describe('stored files in parts (issue 12: flat memory at 1,000,000 rows)', () => {
  let h: Harness;
  let files: FileStore;
  beforeAll(async () => {
    h = await startHarness({ worker: false });
    files = new FileStore(h.deps.config);
  });
  afterAll(() => h.close());

  const local = (url: string) => url.replace(h.deps.config.publicBaseUrl, h.baseUrl);
  const partCount = async (fileId: string) => Number((await h.deps.db('stored_file_parts').where({ file_id: fileId }).count<{ c: string }[]>('* as c'))[0].c);

  it('a streamed file of several parts round-trips byte for byte through GET /files/:id', async () => {
    const { org } = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, org.id);
    const bytes = crypto.randomBytes(3 * FILE_PART_BYTES + 12_345);
    const stored = await files.store(h.deps.db, { organisationId: org.id, kind: 'distribution-success', filename: 'big.bin', contentType: 'application/octet-stream', content: chunked(bytes) });
    expect(stored.size).toBe(bytes.length);
    expect(await partCount(stored.id)).toBe(4);
    const parts = await h.deps.db('stored_file_parts').where({ file_id: stored.id }).orderBy('part').select(h.deps.db.raw('octet_length(content)::int AS n'));
    expect(parts.map((p) => p.n)).toEqual([FILE_PART_BYTES, FILE_PART_BYTES, FILE_PART_BYTES, 12_345]);

    const res = await get(local(stored.url), { authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String(bytes.length));
    expect(res.headers['content-disposition']).toBe('attachment; filename="big.bin"');
    expect(res.body.equals(bytes)).toBe(true);
  });

  it('a gzip-stored file of several parts is sent as stored to gzip clients and inflated for the others', async () => {
    const { org } = await createTestOrg(h.deps);
    const token = await tokenFor(h.deps, org.id);
    // Random tokens, as in a success CSV: gzip barely shrinks them, so this is ~3 parts compressed.
    const lines = ['serialNumber,link'];
    for (let i = 0; i < 40_000; i++) lines.push(`${i},https://example.test/p/${crypto.randomBytes(48).toString('base64url')}`);
    const text = Buffer.from(lines.join('\n') + '\n');
    const gz = zlib.gzipSync(text);
    expect(gz.length).toBeGreaterThan(2 * FILE_PART_BYTES);
    const stored = await files.store(h.deps.db, { organisationId: org.id, kind: 'distribution-success', filename: 'r.csv', contentType: 'text/csv', contentEncoding: 'gzip', content: chunked(gz, 65_536) });
    expect(await partCount(stored.id)).toBe(Math.ceil(gz.length / FILE_PART_BYTES));

    const zipped = await get(local(stored.url), { authorization: `Bearer ${token}`, 'accept-encoding': 'gzip' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers['content-length']).toBe(String(gz.length));
    expect(zipped.body.equals(gz)).toBe(true);

    const plain = await get(local(stored.url), { authorization: `Bearer ${token}` });
    expect(plain.status).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.equals(text)).toBe(true);
  });

  it('a store whose content fails midway leaves no file and no parts; the retry leaves exactly one file', async () => {
    const { org, design } = await createTestOrg(h.deps);
    const [request] = await h.deps.db('distribution_requests')
      .insert({
        organisation_id: org.id, pass_design_id: design.id, pass_design_title: design.title, pass_type: 'generic', is_batch_request: true,
        batch_count: 1, job_issuer: 'ops@example.test', status: 'Processing', price_per_pass: 0, projected_cost: 0, source: 'csv', processed_count: 1, success_count: 1,
      })
      .returning('id');
    const requestId = request.id as string;
    const filesOfRequest = async () =>
      h.deps.db('stored_files').where({ organisation_id: org.id }).whereLike('filename', `distribution-${requestId}-%`).select('id', 'kind');
    // Real gzip (other test files scan every stored file and inflate the gzip ones), over two parts.
    const big = zlib.gzipSync(crypto.randomBytes(3 * FILE_PART_BYTES).toString('base64'));
    expect(big.length).toBeGreaterThan(2 * FILE_PART_BYTES + 1);

    // First attempt: the success CSV's source breaks after two parts were written.
    const broken = () =>
      Readable.from((async function* () {
        yield big.subarray(0, 2 * FILE_PART_BYTES + 1);
        throw new Error('COPY connection lost');
      })());
    await expect(completeBatch(h.deps.db, files, 'distribution', requestId, { success: broken, failure: () => chunked(zlib.gzipSync('a\n')) })).rejects.toThrow('COPY connection lost');
    expect(await filesOfRequest()).toEqual([]);
    expect(await h.deps.db('distribution_requests').where({ id: requestId }).first('status', 'success_file_id')).toEqual({ status: 'Processing', success_file_id: null });

    // Retries, two of them at once (as a retried activity racing a stale attempt would).
    const good = { success: () => chunked(big), failure: () => chunked(zlib.gzipSync('serialNumber,error\n')) };
    await Promise.all([completeBatch(h.deps.db, files, 'distribution', requestId, good), completeBatch(h.deps.db, files, 'distribution', requestId, good)]);
    await completeBatch(h.deps.db, files, 'distribution', requestId, good);
    const stored = await filesOfRequest();
    expect(stored.map((f) => f.kind).sort()).toEqual(['distribution-failure', 'distribution-success']);
    const row = await h.deps.db('distribution_requests').where({ id: requestId }).first('status', 'success_file_id');
    expect(row.status).toBe('Complete');
    const success = await findStoredFile(h.deps.db, row.success_file_id);
    expect(await partCount(success!.id)).toBe(Math.ceil(big.length / FILE_PART_BYTES));
    expect((await buffer(fileStream(h.deps.db, success!))).equals(big)).toBe(true);
    // No part belongs to a file that isn't there (a rolled-back attempt's parts went with it).
    const orphans = await h.deps.db('stored_file_parts as p').leftJoin('stored_files as f', 'f.id', 'p.file_id').whereNull('f.id').count<{ c: string }[]>('* as c');
    expect(Number(orphans[0].c)).toBe(0);
  });

  it('erasure rewrites a multi-part CSV as a new generation; an unchanged rewrite leaves it; a reader of the old generation fails', async () => {
    const { org } = await createTestOrg(h.deps);
    // Tokens are base64url, so some start with "-": row 8's always does. The file is written as
    // every stored CSV is (formula-escaped), so such a token is stored with an apostrophe in front.
    const rows = Array.from({ length: 40_000 }, (_, i) => ({ serialNumber: `S${i}`, deliveryName: `Name ${i}`, token: (i === 8 ? '-' : '') + crypto.randomBytes(48).toString('base64url') }));
    const text = stringify(rows, { header: true, columns: ['serialNumber', 'deliveryName', 'token'], escape_formulas: true });
    const written: Record<string, string>[] = parse(text, { columns: true });
    expect(written[8].token).toBe(`'${rows[8].token}`);
    const stored = await files.store(h.deps.db, {
      organisationId: org.id, kind: 'distribution-success', filename: 'r.csv', contentType: 'text/csv', contentEncoding: 'gzip', content: zlib.gzipSync(text),
    });
    const before = (await findStoredFile(h.deps.db, stored.id))!;
    expect(Number(before.size)).toBeGreaterThan(2 * FILE_PART_BYTES);

    const unchanged = await h.deps.db.transaction((trx) => rewriteStoredCsv(trx, stored.id, (row) => row));
    expect(unchanged).toBe(false);
    expect(await findStoredFile(h.deps.db, stored.id)).toEqual(before);
    expect(await h.deps.db('stored_file_parts').where({ file_id: stored.id }).distinct('generation').pluck('generation')).toEqual([before.generation]);

    // A download that has read its first part when the erasure commits.
    const oldReader = readFileParts(h.deps.db, before)[Symbol.asyncIterator]();
    expect((await oldReader.next()).done).toBe(false);

    const forget = new Set(['S7', 'S39999']);
    const changed = await h.deps.db.transaction((trx) =>
      rewriteStoredCsv(trx, stored.id, (row) => (forget.has(row.serialNumber) ? { ...row, deliveryName: '' } : row)),
    );
    expect(changed).toBe(true);
    const after = (await findStoredFile(h.deps.db, stored.id))!;
    expect(after.generation).toBe(before.generation + 1);
    expect(await h.deps.db('stored_file_parts').where({ file_id: stored.id }).distinct('generation').pluck('generation')).toEqual([after.generation]);
    const csv: Record<string, string>[] = parse(zlib.gunzipSync(await buffer(fileStream(h.deps.db, after))), { columns: true });
    expect(csv).toHaveLength(40_000);
    expect(csv[7]).toEqual({ ...written[7], deliveryName: '' });
    expect(csv[39_999].deliveryName).toBe('');
    // Rows kept as they were stored: an escaped token is not escaped a second time.
    expect(csv[8]).toEqual(written[8]);
    expect(csv.filter((r) => r.deliveryName !== '')).toEqual(written.filter((r) => !forget.has(r.serialNumber)));

    await expect(oldReader.next()).rejects.toThrow(/part 1 of generation 0 is gone/);
  });
});
