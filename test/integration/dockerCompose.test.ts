// Validates docker-compose.yml with a REAL Docker Compose v2+ binary (`config` parses,
// interpolates and validates against the compose-spec schema; no Docker engine needed).
//
// The binary is $COMPOSE_BIN if set, else ${STEWARD_CACHE_DIR:-~/.cache/steward}/bin/docker-compose.
// `bash scripts/ensure-compose.sh` finds or builds one there (CI runs it before the tests).
// If neither exists, this suite FAILS: a silently skipped compose check would let a broken
// deployment file land.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const repoRoot = path.resolve(__dirname, '..', '..');
const composeFile = path.join(repoRoot, 'docker-compose.yml');

function composeBinary(): string {
  const fromEnv = process.env.COMPOSE_BIN?.trim();
  const cacheDir = process.env.STEWARD_CACHE_DIR?.trim() || path.join(os.homedir(), '.cache', 'steward');
  const candidate = fromEnv || path.join(path.resolve(cacheDir), 'bin', 'docker-compose');
  const origin = fromEnv ? 'COMPOSE_BIN' : 'the Steward tool cache';
  try {
    fs.accessSync(candidate, fs.constants.X_OK);
    if (!fs.statSync(candidate).isFile()) throw new Error('not a file');
  } catch {
    throw new Error(
      `No Docker Compose binary at ${candidate} (from ${origin}). ` +
        'Run `bash scripts/ensure-compose.sh` (finds docker compose or builds it from the Go module proxy ' +
        'into ${STEWARD_CACHE_DIR:-~/.cache/steward}/bin) or set COMPOSE_BIN to a Compose v2+ binary.',
    );
  }
  return candidate;
}

// Variables docker-compose.yml interpolates: removed from the environment (and no .env file is
// read) so that the assertions see the file's own defaults, whatever the developer's shell has.
const INTERPOLATED = [
  'STEWARD_IMAGE_TAG', 'STEWARD_DB_PASSWORD', 'TEMPORAL_DB_PASSWORD', 'POSTGRES_PASSWORD',
  'TEMPORAL_NAMESPACE', 'TEMPORAL_TASK_QUEUE', 'PUBLIC_BASE_URL', 'JWT_SECRET', 'LOG_LEVEL',
  'CALLBACK_ALLOW_PRIVATE', 'PAYLOAD_ENCRYPTION_KEY', 'TEMPORAL_GRPC_PORT', 'TEMPORAL_UI_PORT',
  'TEMPORAL_UI_CORS_ORIGINS', 'STEWARD_PORT', 'CODEC_AUTH_TOKEN',
];

function runCompose(args: string[], extraEnv: Record<string, string> = {}): string {
  const bin = composeBinary(); // throws the "how to get one" message when missing
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of INTERPOLATED) delete env[name];
  for (const name of Object.keys(env)) if (name.startsWith('COMPOSE_')) delete env[name];
  // Keep compose's own state (it may write ~/.docker) out of the real home directory.
  env.DOCKER_CONFIG = fs.mkdtempSync(path.join(os.tmpdir(), 'steward-compose-test-'));
  try {
    return execFileSync(
      bin,
      ['--project-directory', repoRoot, '--env-file', '/dev/null', '-f', composeFile, ...args],
      { cwd: repoRoot, env: { ...env, ...extraEnv }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 },
    );
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`docker compose ${args.join(' ')} failed: ${e.stderr || e.stdout || e.message}`);
  } finally {
    fs.rmSync(env.DOCKER_CONFIG, { recursive: true, force: true });
  }
}

interface Port { target: number; published?: string; host_ip?: string; protocol?: string }
interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[];
  entrypoint?: string[];
  container_name?: string;
  depends_on?: Record<string, { condition: string }>;
  ports?: Port[];
  environment?: Record<string, string | null>;
  healthcheck?: { test?: string[]; disable?: boolean };
  volumes?: { type: string; source?: string; target: string }[];
  restart?: string;
}
interface ComposeModel { name: string; services: Record<string, Service>; volumes?: Record<string, unknown> }

let model: ComposeModel;

beforeAll(() => {
  model = JSON.parse(runCompose(['config', '--format', 'json'])) as ComposeModel;
});

describe('docker-compose.yml', () => {
  test('is valid for Docker Compose (`config --quiet`)', () => {
    expect(runCompose(['config', '--quiet']).trim()).toBe('');
  });

  test('declares the expected services', () => {
    expect(Object.keys(model.services).sort()).toEqual(
      ['api', 'migrate', 'postgresql', 'temporal', 'temporal-admin-tools', 'temporal-ui', 'worker'].sort(),
    );
  });

  test('pins every third-party image to an exact tag', () => {
    for (const [name, svc] of Object.entries(model.services)) {
      if (svc.build) continue;
      expect({ name, image: svc.image }).toEqual({ name, image: expect.stringMatching(/^[\w./-]+:\d+\.\d+(\.\d+)?[\w.-]*$/) });
    }
    expect(model.services.temporal.image).toMatch(/^temporalio\/auto-setup:/);
    expect(model.services['temporal-ui'].image).toMatch(/^temporalio\/ui:/);
    expect(model.services['temporal-admin-tools'].image).toMatch(/^temporalio\/admin-tools:/);
    expect(model.services.postgresql.image).toMatch(/^postgres:16\./);
  });

  test('api, worker and migrate share one image built from ./Dockerfile', () => {
    const apps = ['api', 'worker', 'migrate'].map((n) => model.services[n]);
    for (const svc of apps) {
      expect(svc.build).toEqual({ context: repoRoot, dockerfile: 'Dockerfile' });
      expect(svc.image).toBe(apps[0].image);
    }
    expect(apps[0].image).toBe('steward:local');
    expect(model.services.api.command).toEqual(['npm', 'run', 'api']);
    expect(model.services.worker.command).toEqual(['npm', 'run', 'worker']);
    expect(model.services.migrate.command).toEqual(['npm', 'run', 'migrate']);
    const envOf = (svc: Service) => svc.environment ?? {};
    expect(envOf(model.services.worker)).toEqual(envOf(model.services.api));
    expect(envOf(model.services.migrate)).toEqual(envOf(model.services.api));
  });

  test('wires the app to PostgreSQL and Temporal', () => {
    const env = model.services.api.environment ?? {};
    expect(env.DATABASE_URL).toMatch(/^postgres:\/\/steward:[^@]+@postgresql:5432\/steward$/);
    expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(env.TEMPORAL_NAMESPACE).toBe('default');
    expect(env.TEMPORAL_TASK_QUEUE).toBe('steward');
    expect(env.PORT).toBe('4000');
    expect((env.JWT_SECRET ?? '').length).toBeGreaterThanOrEqual(32);
    expect(Buffer.from(env.PAYLOAD_ENCRYPTION_KEY ?? '', 'base64')).toHaveLength(32);
    for (const name of ['PUBLIC_BASE_URL', 'LOG_LEVEL', 'CALLBACK_ALLOW_PRIVATE']) expect(env).toHaveProperty(name);
  });

  test('publishes the expected ports', () => {
    const ports = (svc: string) => (model.services[svc].ports ?? []).map((p) => `${p.published}:${p.target}`);
    expect(ports('api')).toEqual(['4000:4000']);
    expect(ports('temporal-ui')).toEqual(['8233:8080']);
    expect(ports('temporal')).toEqual(['7233:7233']);
    expect(model.services.temporal.ports?.[0].host_ip).toBe('127.0.0.1');
    // Neither the database nor the scalable worker is reachable from the host.
    expect(model.services.postgresql.ports ?? []).toEqual([]);
    expect(model.services.worker.ports ?? []).toEqual([]);
  });

  test('orders start-up with the right depends_on conditions', () => {
    const deps = (svc: string) =>
      Object.fromEntries(Object.entries(model.services[svc].depends_on ?? {}).map(([k, v]) => [k, v.condition]));
    expect(deps('temporal')).toEqual({ postgresql: 'service_healthy' });
    expect(deps('temporal-admin-tools')).toEqual({ temporal: 'service_healthy' });
    expect(deps('temporal-ui')).toEqual({ temporal: 'service_healthy' });
    expect(deps('migrate')).toEqual({ postgresql: 'service_healthy' });
    const appDeps = { migrate: 'service_completed_successfully', 'temporal-admin-tools': 'service_completed_successfully' };
    expect(deps('api')).toEqual(appDeps);
    expect(deps('worker')).toEqual(appDeps);
  });

  test('healthchecks exist where dependants wait on service_healthy', () => {
    expect(model.services.postgresql.healthcheck?.test?.join(' ')).toMatch(/pg_isready/);
    expect(model.services.temporal.healthcheck?.test?.join(' ')).toMatch(/temporal operator/);
    // The image's HTTP healthcheck is meaningless for the worker and the one-shot migrate.
    expect(model.services.worker.healthcheck?.disable).toBe(true);
    expect(model.services.migrate.healthcheck?.disable).toBe(true);
  });

  test('one-shot services do not restart; the worker can be scaled', () => {
    expect(model.services.migrate.restart).toBe('no');
    expect(model.services['temporal-admin-tools'].restart).toBe('no');
    expect(model.services.worker.container_name).toBeUndefined();
  });

  test('registers the OrganisationId and RequestId Keyword search attributes', () => {
    const script = [...(model.services['temporal-admin-tools'].entrypoint ?? []), ...(model.services['temporal-admin-tools'].command ?? [])].join(' ');
    expect(script).toMatch(/temporal operator search-attribute create/);
    expect(script).toMatch(/--address temporal:7233/);
    expect(script).toMatch(/--type Keyword/);
    expect(script).toMatch(/OrganisationId/);
    expect(script).toMatch(/RequestId/);
  });

  test('Temporal auto-setup persists to the shared PostgreSQL; Steward has its own database', () => {
    const t = model.services.temporal.environment ?? {};
    expect(t).toMatchObject({ DB: 'postgres12', DB_PORT: '5432', POSTGRES_SEEDS: 'postgresql', DBNAME: 'temporal', VISIBILITY_DBNAME: 'temporal_visibility' });
    expect(t.POSTGRES_USER).toBeTruthy();
    expect(t.POSTGRES_PWD).toBeTruthy();
    const pg = model.services.postgresql;
    expect(pg.volumes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'volume', source: 'postgresql-data', target: '/var/lib/postgresql/data' }),
        expect.objectContaining({ type: 'bind', source: path.join(repoRoot, 'docker', 'postgres-init'), target: '/docker-entrypoint-initdb.d' }),
      ]),
    );
    expect(Object.keys(model.volumes ?? {})).toContain('postgresql-data');
    const init = fs.readFileSync(path.join(repoRoot, 'docker', 'postgres-init', '10-steward-databases.sh'), 'utf8');
    for (const db of ['steward', 'temporal', 'temporal_visibility']) expect(init).toContain(`CREATE DATABASE ${db} `);
  });

  test('secrets come from the environment when set', () => {
    const secret = 'x'.repeat(40);
    const overridden = JSON.parse(
      runCompose(['config', '--format', 'json'], { JWT_SECRET: secret, STEWARD_DB_PASSWORD: 'pw-from-env', STEWARD_PORT: '4100' }),
    ) as ComposeModel;
    expect(overridden.services.api.environment?.JWT_SECRET).toBe(secret);
    expect(overridden.services.worker.environment?.DATABASE_URL).toBe('postgres://steward:pw-from-env@postgresql:5432/steward');
    expect(overridden.services.postgresql.environment?.STEWARD_DB_PASSWORD).toBe('pw-from-env');
    expect(overridden.services.api.ports?.map((p) => p.published)).toEqual(['4100']);
  });
});
