import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { graphqlMultipart } from '../../src/api/http/multipart';

/** Security finding 2: the multipart `map` walked `__proto__` and polluted every object of the process. */
describe('GraphQL multipart map: no prototype pollution (finding 2)', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    const app = express();
    app.post('/query', graphqlMultipart, (req, res) => res.json({ body: req.body }));
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/query`;
  });
  afterAll(() => new Promise((r) => server.close(r)));
  afterEach(() => {
    for (const proto of [Object.prototype, Array.prototype, Function.prototype] as unknown as Record<string, unknown>[]) {
      delete proto.polluted;
    }
  });

  const send = (map: unknown, operations: unknown = { query: 'mutation($f: Upload){x(f: $f)}', variables: { f: null } }) => {
    const form = new FormData();
    form.append('operations', JSON.stringify(operations));
    form.append('map', JSON.stringify(map));
    form.append('0', new Blob(['a,b\n1,2\n'], { type: 'text/csv' }), 'x.csv');
    return fetch(url, { method: 'POST', body: form });
  };

  it.each([
    ['__proto__.polluted'],
    ['constructor.prototype.polluted'],
    ['variables.__proto__.polluted'],
    ['variables.f.constructor.prototype.polluted'],
    ['query.constructor.prototype.polluted'],
    ['variables.toString.polluted'],
  ])('refuses the map path %s with 400 and pollutes nothing', async (p) => {
    const res = await send({ 0: [p] });
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body.errors[0].message).toMatch(/multipart map path/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(([] as unknown as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a map that is not an object of path lists is a 400 naming the field', async () => {
    for (const bad of [['variables.f'], { 0: 'variables.f' }, { 0: [42] }, null]) {
      const res = await send(bad);
      expect(res.status).toBe(400);
      expect(((await res.json()) as any).errors[0].message).toMatch(/map/);
    }
  });

  it('still puts the file at a real path', async () => {
    const res = await send({ 0: ['variables.f'] });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.body.variables.f).toMatchObject({ filename: 'x.csv', size: 8 });
  });
});
