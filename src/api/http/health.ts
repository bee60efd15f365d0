import type { Connection } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import type { Deps } from '../../deps';
import { registerRoute } from '../openapi';

export interface CheckResult {
  ok: boolean;
  ms: number;
  error?: string;
}

const CHECK_TIMEOUT_MS = 3000;

async function timed(run: () => Promise<unknown>): Promise<CheckResult> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      run(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { ok: true, ms: Date.now() - started };
  } catch (err) {
    return { ok: false, ms: Date.now() - started, error: (err as Error).message.split('\n')[0] };
  } finally {
    clearTimeout(timer);
  }
}

/** What the API needs to serve: PostgreSQL answers a query, the Temporal frontend answers its health check. */
export async function dependencyChecks(deps: Deps): Promise<{ postgres: CheckResult; temporal: CheckResult }> {
  const [postgres, temporal] = await Promise.all([
    timed(() => deps.db.raw('select 1')),
    timed(async () => {
      if (!deps.temporal) throw new Error('no Temporal client is configured in this process');
      const conn = deps.temporal.connection as Connection;
      const res = await conn.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () => conn.healthService.check({}));
      // SERVING = 1 in grpc.health.v1.HealthCheckResponse.ServingStatus.
      if (res.status !== 1) throw new Error(`Temporal frontend health status is ${res.status}`);
    }),
  ]);
  return { postgres, temporal };
}

const check = z.object({ ok: z.boolean(), ms: z.number(), error: z.string().optional() });
const readiness = z.object({
  status: z.enum(['ok', 'unavailable']),
  failed: z.array(z.enum(['postgres', 'temporal'])),
  checks: z.object({ postgres: check, temporal: check }),
});

for (const [path, summary] of [
  ['/healthz', 'Health: PostgreSQL and Temporal reachable (same as /readyz)'],
  ['/readyz', 'Readiness: PostgreSQL answers a query and the Temporal frontend reports SERVING'],
] as const) {
  registerRoute({
    method: 'get',
    path,
    summary,
    tags: ['Operations'],
    auth: 'none',
    schemas: {
      responses: {
        200: { description: 'every dependency answered', schema: readiness },
        503: { description: 'a dependency failed; `failed` names it', schema: readiness },
      },
    },
  });
}
registerRoute({
  method: 'get',
  path: '/livez',
  summary: 'Liveness: the process serves HTTP (no dependency checks)',
  tags: ['Operations'],
  auth: 'none',
  schemas: { responses: { 200: { description: 'alive', schema: z.object({ status: z.literal('ok') }) } } },
});

/**
 * /livez: the process is up (restart it if not). /readyz: it can serve, i.e. PostgreSQL and
 * Temporal answer (take it out of the load balancer if not). /healthz answers like /readyz, so a
 * plain health probe (docker HEALTHCHECK) reports a lost database or Temporal.
 */
export function healthRouter(deps: Deps): Router {
  const router = Router();
  router.get('/livez', (_req, res) => {
    res.json({ status: 'ok' });
  });
  const ready = async (_req: unknown, res: import('express').Response) => {
    const checks = await dependencyChecks(deps);
    const failed = (Object.keys(checks) as (keyof typeof checks)[]).filter((k) => !checks[k].ok);
    res.setHeader('Cache-Control', 'no-store');
    res.status(failed.length ? 503 : 200).json({ status: failed.length ? 'unavailable' : 'ok', failed, checks });
  };
  router.get('/readyz', ready);
  router.get('/healthz', ready);
  return router;
}
