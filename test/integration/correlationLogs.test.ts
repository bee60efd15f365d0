import { ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildDeps, closeDeps } from '../../src/bootstrap';
import { loadConfig } from '../../src/config';
import type { Deps } from '../../src/deps';
import { freePort } from '../../src/dev/freePort';
import { createOAuthClient } from '../../src/services/consumers/oauthClients';
import { createIssuer, registerConsumer } from '../../src/services/consumers/registry';
import { createTestOrg, eventually } from '../helpers/harness';

/**
 * Seed 001's x-correlation-id "will be logged in clear" for troubleshooting: `npm start` (API and
 * worker in one process, JSON logs on stdout) serves a consumer deletion, and every log line of the
 * request and of the job it starts carries the caller's correlation ID.
 */
describe('x-correlation-id on every log line of the request and its workflow', () => {
  let child: ChildProcess;
  let deps: Deps;
  let base: string;
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    // Every port given: those npm start derives from PORT (mail catcher at PORT+25/+80) may be another test's.
    const [port, metricsPort, mailSmtp, mailWeb] = [await freePort(), await freePort(), await freePort(), await freePort()];
    base = `http://127.0.0.1:${port}`;
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'steward-logs-'));
    const { WORKER_METRICS_URL: _unset, ...env } = process.env;
    child = spawn(process.execPath, ['--import', 'tsx', 'src/bin/start.ts'], {
      cwd: path.resolve(__dirname, '..', '..'),
      env: {
        ...env,
        PORT: String(port),
        TEMPORAL_TASK_QUEUE: `logs-${crypto.randomUUID()}`,
        TEMPORAL_METRICS_BIND_ADDRESS: `127.0.0.1:${metricsPort}`,
        STEWARD_DATA_DIR: dataDir,
        LOG_LEVEL: 'info',
        TEMPORAL_LOG_LEVEL: 'INFO',
        MAIL_CATCHER_SMTP_PORT: String(mailSmtp),
        MAIL_CATCHER_WEB_PORT: String(mailWeb),
      },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let buffer = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        buffer += d.toString();
        const parts = buffer.split('\n');
        buffer = parts.pop()!;
        for (const l of parts) {
          if (l.includes('Steward is running')) resolve();
          if (l.startsWith('{')) lines.push(JSON.parse(l));
        }
      });
      child.once('exit', (code) => reject(new Error(`npm start exited with ${code}`)));
    });
    const config = loadConfig();
    deps = await buildDeps(config, { databaseUrl: config.databaseUrl! });
  }, 180_000);

  afterAll(async () => {
    // A start that failed has exited already: waiting for its exit would hang the suite.
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await exited;
    }
    if (deps) await closeDeps(deps);
  });

  it('stamps the correlation ID on the request lines and on the workflow and activity lines', async () => {
    const t = await createTestOrg(deps);
    const issuerId = `LOG${crypto.randomBytes(4).toString('hex').toUpperCase()}`.slice(0, 10);
    await createIssuer(deps.db, { id: issuerId, name: 'Bank', organisationId: t.org.id });
    await registerConsumer(deps.db, { issuerId, consumerId: 'user_logs' });
    const client = await createOAuthClient(deps.db, issuerId);
    const token = (await (
      await fetch(`${base}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret }),
      })
    ).json()) as { access_token: string };

    const correlationId = `corr-${crypto.randomBytes(6).toString('hex')}`;
    const res = await fetch(`${base}/issuers/${issuerId}/consumers/user_logs/operations:delete`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json', 'x-correlation-id': correlationId },
      body: JSON.stringify({ reason: 'customer asked' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-correlation-id')).toBe(correlationId);
    const requestId = res.headers.get('x-request-id')!;
    const { operationId } = (await res.json()) as { operationId: string };

    await eventually(async () => {
      const op = await fetch(`${base}/issuers/${issuerId}/consumers/user_logs/operations/${operationId}`, { headers: { authorization: `Bearer ${token.access_token}` } });
      const body = (await op.json()) as { status: string };
      return body.status === 'SUCCESS' ? body : undefined;
    });
    await new Promise((r) => setTimeout(r, 500)); // let the last lines reach stdout

    const ofRequest = lines.filter((l) => l.requestId === requestId);
    const ofJob = lines.filter((l) => l.operationId === operationId);
    expect(ofRequest.length).toBeGreaterThan(0);
    expect(ofJob.map((l) => l.msg)).toEqual(expect.arrayContaining(['consumer deletion started', 'consumer deleted']));
    for (const l of [...ofRequest, ...ofJob]) expect([l.msg, l.correlationId]).toEqual([l.msg, correlationId]);
  });

  it('refuses a malformed x-correlation-id with a 400 naming the header', async () => {
    const res = await fetch(`${base}/issuers/ABCDEFGHIJ/consumers/u1/operations`, { headers: { 'x-correlation-id': 'bad id <script>' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { field: string }).field).toBe('headers.x-correlation-id');
  });
});
