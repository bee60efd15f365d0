import { ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { signUserToken } from '../../src/auth/tokens';
import { createTestOrg } from '../helpers/harness';
import { buildDeps, closeDeps } from '../../src/bootstrap';
import { loadConfig } from '../../src/config';
import type { Deps } from '../../src/deps';
import { stewardDataConverter } from '../../src/temporal/codec';
import { freePort } from '../../src/dev/freePort';

/**
 * `npm start` against the test servers: after work has run, its /metrics shows the API's request
 * metrics and the worker's Temporal SDK metrics (Runtime.install's Prometheus exporter) together.
 */
describe('npm start: /metrics with API and worker metrics', () => {
  let child: ChildProcess;
  let deps: Deps;
  let client: Client;
  const taskQueue = `start-${crypto.randomUUID()}`;
  let base: string;
  let workerMetrics: string;
  let dataDir: string;
  let startOutput = '';
  let mailWebUrl: string;

  beforeAll(async () => {
    const [port, metricsPort, mailSmtp, mailWeb] = [await freePort(), await freePort(), await freePort(), await freePort()];
    mailWebUrl = `http://localhost:${mailWeb}`;
    base = `http://127.0.0.1:${port}`;
    workerMetrics = `127.0.0.1:${metricsPort}`;
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'steward-start-'));
    // WORKER_METRICS_URL unset: npm start points the API's /metrics at its own worker.
    // SMTP_URL unset too: npm start runs its mail catcher.
    const { WORKER_METRICS_URL: _unset, SMTP_URL: _smtp, ...env } = process.env;
    child = spawn(process.execPath, ['--import', 'tsx', 'src/bin/start.ts'], {
      cwd: path.resolve(__dirname, '..', '..'),
      // The test bundle: Steward's workflows plus the test-only scheduledPing run below.
      env: { ...env, WORKFLOW_BUNDLE_PATH: process.env.STEWARD_TEST_WORKFLOW_BUNDLE, PORT: String(port), TEMPORAL_TASK_QUEUE: taskQueue, TEMPORAL_METRICS_BIND_ADDRESS: workerMetrics, STEWARD_DATA_DIR: dataDir, LOG_LEVEL: 'warn', MAIL_CATCHER_SMTP_PORT: String(mailSmtp), MAIL_CATCHER_WEB_PORT: String(mailWeb) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d) => {
        out += d;
        startOutput = out;
        if (out.includes('Steward is running')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`npm start exited with ${code}: ${out}`)));
    });
    const config = loadConfig();
    deps = await buildDeps(config, { databaseUrl: config.databaseUrl! });
    client = new Client({ connection: await Connection.connect({ address: config.temporal.address! }), dataConverter: stewardDataConverter(config) });
  }, 180_000);

  afterAll(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await exited;
    }
    await client?.connection.close();
    if (deps) await closeDeps(deps);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts nothing embedded when TEMPORAL_ADDRESS and DATABASE_URL are given', () => {
    const config = loadConfig();
    expect(startOutput).toContain(`Temporal      ${config.temporal.address}`);
    expect(startOutput).not.toContain('Temporal UI');
    expect(fs.existsSync(path.join(dataDir, 'postgres'))).toBe(false);
    expect(fs.existsSync(path.join(dataDir, 'temporal.db'))).toBe(false);
  });

  it('shows API request metrics and the worker\'s Temporal metrics after work has run', async () => {
    // Work for the worker: a workflow with a timer and an activity.
    const result = await client.workflow.execute('scheduledPing', { args: [10], taskQueue, workflowId: `ping-${taskQueue}` });
    expect(result.firedAt).toEqual(expect.any(String));
    // Work for the API.
    const { org } = await createTestOrg(deps);
    const token = await signUserToken(deps.jwtKeys, { org: org.id, email: 'ops@example.test', roles: ['Owner'] }, { issuer: deps.config.jwt.issuer, audience: deps.config.jwt.audience });
    const q = await fetch(`${base}/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ getPaginatedBeacons(input: { batchSize: 1 }) { lastDocID } }' }),
    });
    expect(q.status).toBe(200);

    // The SDK exports on its own schedule: poll briefly until the completion shows.
    let text = '';
    for (let i = 0; i < 30; i++) {
      text = await (await fetch(`${base}/metrics`)).text();
      if (/^temporal_workflow_completed_total\{.*task_queue="[^"]*".*\} [1-9]/m.test(text)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(text).toMatch(/^steward_http_requests_total\{method="POST",route="\/query",operation="getPaginatedBeacons",status="200"\} 1$/m);
    expect(text).toMatch(new RegExp(`^temporal_workflow_completed_total\\{.*task_queue="${taskQueue}".*\\} 1$`, 'm'));
    expect(text).toMatch(new RegExp(`^temporal_activity_execution_latency_count\\{.*activity_type="databaseTime".*task_queue="${taskQueue}".*\\} 1$`, 'm'));
    // The worker's exporter itself, as Prometheus would scrape a separate worker process.
    const own = await (await fetch(`http://${workerMetrics}/metrics`)).text();
    expect(own).toMatch(/^temporal_worker_task_slots_available/m);
  });

  it('sets up Steward\'s Schedules at start-up, the consumer-operations cleanup among them', async () => {
    const desc = await client.schedule.getHandle('steward-consumer-operations-cleanup').describe();
    expect(desc.action).toMatchObject({ type: 'startWorkflow', workflowType: 'consumerOperationsCleanup' });
  });

  it('catches every email Steward sends in its mail catcher, and shows it on a web page', async () => {
    expect(startOutput).toContain(`Mail catcher  ${mailWebUrl}`);
    const { org, title } = await createTestOrg(deps);
    const token = await signUserToken(deps.jwtKeys, { org: org.id, email: 'ops@example.test', roles: ['Owner'] }, { issuer: deps.config.jwt.issuer, audience: deps.config.jwt.audience });
    const res = await fetch(`${base}/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: 'mutation($i: DistributionRequest) { distributeIndividualPass(input: $i) { successList { passDownloadLink } } }',
        variables: { i: { title, passDetails: [{ externalReferenceID: 'mc', dynamicFields: { membership_number: '1', membership_name: 'Jane' }, deliveryMethod: 'Email', deliveryAddress: 'jane@example.test', deliverySalutation: 'Hi', deliveryName: 'Jane Doe' }] } },
      }),
    });
    const link = ((await res.json()) as any).data.distributeIndividualPass.successList[0].passDownloadLink;
    const subject = `Your ${title} from ${org.name}`;
    let messages: { subject: string; to: string[]; text: string }[] = [];
    for (let i = 0; i < 120 && !messages.some((m) => m.subject === subject); i++) {
      await new Promise((r) => setTimeout(r, 250));
      messages = (await (await fetch(`${mailWebUrl}/api/messages`)).json()) as typeof messages;
    }
    expect(messages.find((m) => m.subject === subject)).toMatchObject({ to: ['jane@example.test'], text: expect.stringContaining(link) });

    // What a developer sees: the page lists the email; opening it shows the rendered message.
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 700 } });
      await page.goto(mailWebUrl);
      await page.getByText(subject).first().click();
      const frame = page.frameLocator('iframe[title="message"]');
      await frame.getByText('Hi Jane Doe,').waitFor();
      expect(await frame.locator('a[href]').first().getAttribute('href')).toBe(link);
      await page.screenshot({ path: path.resolve(__dirname, '..', '..', 'docs', 'mail-catcher.png') });
    } finally {
      await browser.close();
    }
  });
});
