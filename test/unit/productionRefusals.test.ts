import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { codecRouter } from '../../src/api/http/codec';
import { loadConfig } from '../../src/config';

/**
 * Security finding 8: production accepted development fallbacks that weaken it: a codec token
 * generated into the data folder, CALLBACK_ALLOW_PRIVATE=true (SSRF guard off), and the codec
 * token in a URL path, where proxies and access logs keep it.
 */
describe('production refuses weakening settings (finding 8)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'steward-prod-'));
  const production = {
    NODE_ENV: 'production',
    STEWARD_DATA_DIR: dataDir,
    JWT_SECRET: 'z'.repeat(40),
    PASS_LINK_KEY: crypto.randomBytes(32).toString('base64'),
    PAYLOAD_ENCRYPTION_KEY: crypto.randomBytes(32).toString('base64'),
  };
  const codecToken = 'c'.repeat(32);

  it('CALLBACK_ALLOW_PRIVATE=true stops production with a line naming the variable', () => {
    expect(() => loadConfig({ ...production, CALLBACK_ALLOW_PRIVATE: 'true' })).toThrow(/CALLBACK_ALLOW_PRIVATE: .*refused in production/);
    expect(() => loadConfig({ ...production, CALLBACK_ALLOW_PRIVATE: 'false' })).not.toThrow();
    expect(loadConfig({ NODE_ENV: 'development', CALLBACK_ALLOW_PRIVATE: 'true', STEWARD_DATA_DIR: dataDir }).callbackAllowPrivate).toBe(true);
  });

  async function serve(env: Record<string, string>) {
    const app = express();
    app.use(codecRouter(loadConfig(env)));
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const post = (p: string, headers: Record<string, string> = {}) =>
      fetch(`${base}${p}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ payloads: [] }) });
    return { post, close: () => new Promise((r) => server.close(r)) };
  }

  it('without CODEC_AUTH_TOKEN the codec endpoint is off in production: no token is made up in the data folder', async () => {
    const s = await serve(production);
    try {
      const res = await s.post('/codec/decode', { authorization: 'Bearer anything' });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { message: string }).message).toMatch(/CODEC_AUTH_TOKEN/);
      expect(fs.existsSync(path.join(dataDir, 'codec-auth-token'))).toBe(false);
    } finally {
      await s.close();
    }
  });

  it('the codec token in the URL path is refused in production; the Authorization header works', async () => {
    const s = await serve({ ...production, CODEC_AUTH_TOKEN: codecToken });
    try {
      const inPath = await s.post(`/codec/${codecToken}/decode`);
      expect(inPath.status).toBe(403);
      expect(((await inPath.json()) as { message: string }).message).toMatch(/URL path.*production.*Authorization: Bearer/);
      expect((await s.post('/codec/decode', { authorization: `Bearer ${codecToken}` })).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('development keeps the path form for the Temporal UI', async () => {
    const s = await serve({ NODE_ENV: 'development', STEWARD_DATA_DIR: dataDir, CODEC_AUTH_TOKEN: codecToken });
    try {
      expect((await s.post(`/codec/${codecToken}/decode`)).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});
