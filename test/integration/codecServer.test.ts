import { Client } from '@temporalio/client';
import { codecAuthToken } from '../../src/api/http/codec';
import { Harness, startHarness } from '../helpers/harness';

describe('encrypted Temporal payloads and the codec server (real Temporal)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${h.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('stores only encrypted payloads in history; the codec endpoint decodes them for the holder of the token', async () => {
    const workflowId = `ping-codec-${h.taskQueue}`;
    const result = await h.deps.temporal!.workflow.execute('scheduledPing', { args: ['10 ms'], taskQueue: h.taskQueue, workflowId });
    expect(result.firedAt).toEqual(expect.any(String)); // the client decodes what the worker encrypted

    // A client without the key sees ciphertext only.
    const plain = new Client({ connection: h.deps.temporal!.connection });
    const history = await plain.workflow.getHandle(workflowId).fetchHistory();
    const started = history.events![0].workflowExecutionStartedEventAttributes!;
    const input = started.input!.payloads![0];
    expect(Buffer.from(input.metadata!.encoding!).toString()).toBe('binary/encrypted');
    expect(Buffer.from(input.data!).toString('latin1')).not.toContain('10 ms');
    await expect(plain.workflow.getHandle(workflowId).result()).rejects.toThrow();

    const wire = { payloads: [{ metadata: { encoding: Buffer.from(input.metadata!.encoding!).toString('base64'), 'encryption-key-id': Buffer.from(input.metadata!['encryption-key-id']!).toString('base64') }, data: Buffer.from(input.data!).toString('base64') }] };
    const token = codecAuthToken(h.deps.config);
    for (const [path, headers] of [['/codec/decode', { authorization: `Bearer ${token}` }], [`/codec/${token}/decode`, {}]] as const) {
      const res = await post(path, wire, headers);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
      expect(Buffer.from(body.payloads[0].metadata.encoding, 'base64').toString()).toBe('json/plain');
      expect(JSON.parse(Buffer.from(body.payloads[0].data, 'base64').toString())).toBe('10 ms');
    }

    // encode then decode is the identity.
    const original = { payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('"x"').toString('base64') }] };
    const enc = (await (await post('/codec/encode', original, { authorization: `Bearer ${token}` })).json()) as typeof wire;
    const dec = (await (await post('/codec/decode', enc, { authorization: `Bearer ${token}` })).json()) as typeof original;
    expect(dec).toEqual(original);
  });

  it('refuses requests without the token, and bad bodies with a field-naming error', async () => {
    expect((await post('/codec/decode', { payloads: [] })).status).toBe(401);
    expect((await post('/codec/decode', { payloads: [] }, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await post('/codec/not-the-token/decode', { payloads: [] })).status).toBe(401);
    const token = codecAuthToken(h.deps.config);
    const bad = await post('/codec/decode', { payloads: [{ data: '***' }] }, { authorization: `Bearer ${token}` });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'BAD_USER_INPUT', field: 'body.payloads.0.data' });
    const forged = await post('/codec/decode', { payloads: [{ metadata: { encoding: Buffer.from('binary/encrypted').toString('base64') }, data: Buffer.from('nonsense').toString('base64') }] }, { authorization: `Bearer ${token}` });
    expect(forged.status).toBe(400);
  });

  it('answers CORS preflights for the Temporal UI origin only', async () => {
    const preflight = (origin: string) =>
      fetch(`${h.baseUrl}/codec/decode`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' } });
    const ui = await preflight('http://localhost:8233');
    expect(ui.status).toBe(204);
    expect(ui.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    expect(ui.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/i);
    const other = await preflight('https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
