import { z } from 'zod';
import path from 'node:path';
import { googleRootKeysSchema } from './domain/googleWalletCallback';
import { MAX_FORGET_GRACE_MS } from './domain/forget';
import { formatIssues } from './domain/issues';

/**
 * All configuration comes from environment variables, validated here once: `configSchema` is the
 * nested `Config` itself, each leaf naming its variable (`env('PORT', rule)`). The rest of the code
 * receives a typed `Config` and trusts it. A new variable is one `env(...)` line in its group.
 */

/** The leaves of the config tree, by the variable they read. */
const variableOf = new WeakMap<z.ZodType, string>();

/** A config value read from one environment variable, validated (and transformed) by `rule`. */
function env<T extends z.ZodType>(name: string, rule: T): T {
  const leaf = rule.clone() as T;
  variableOf.set(leaf, name);
  return leaf;
}

const bool = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1');
/** An empty value counts as unset (compose passes `${VAR:-}` through as ""). */
const unsetIfEmpty = <T extends z.ZodType>(rule: T) => z.preprocess((v) => (v === '' ? undefined : v), rule);
const port = z.coerce.number().int().min(1).max(65535);

const tree = z.object({
  env: env('NODE_ENV', z.enum(['development', 'production', 'test']).default('development')),
  port: env('PORT', z.coerce.number().int().min(0).max(65535).default(4000)),
  /** Base of links Steward hands out; default http://localhost:<port> (see configSchema). */
  publicBaseUrl: env('PUBLIC_BASE_URL', z.string().url().optional()),
  logLevel: env('LOG_LEVEL', z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
  dataDir: env('STEWARD_DATA_DIR', z.string().default('.data').transform((d) => path.resolve(d))),
  databaseUrl: env('DATABASE_URL', z.string().url().optional()),
  embeddedPostgresPort: env('EMBEDDED_POSTGRES_PORT', port.default(54329)),
  temporal: z.object({
    address: env('TEMPORAL_ADDRESS', z.string().min(1).optional()),
    namespace: env('TEMPORAL_NAMESPACE', z.string().min(1).default('default')),
    taskQueue: env('TEMPORAL_TASK_QUEUE', z.string().min(1).default('steward')),
    uiPort: env('TEMPORAL_UI_PORT', port.default(8233)),
    devPort: env('TEMPORAL_DEV_PORT', port.default(7233)),
    /** A prebuilt workflow bundle (tests, CI); otherwise the worker bundles workflows/ at start. */
    workflowBundlePath: env('WORKFLOW_BUNDLE_PATH', z.string().optional()),
    /**
     * Workflows a worker keeps in memory between their tasks; unset, the SDK's default, which
     * follows the heap cap (23 at the worker's 192 MB). More saves replays (1,000 DCI subscriptions
     * firing together) but needs heap: 1,200 fit in 192 MB, 2,000 run the workflow thread out of
     * memory (README). Not raised by default: a cache the heap cannot hold ends the worker.
     */
    maxCachedWorkflows: env('TEMPORAL_MAX_CACHED_WORKFLOWS', z.coerce.number().int().min(0).optional()),
  }),
  /** JWT verification: exactly one of a shared HS256 secret, an EdDSA public key (PEM) or a JWKS URL. */
  jwt: z.object({
    secret: env('JWT_SECRET', z.string().min(32, 'JWT_SECRET must be at least 32 characters').optional()),
    publicKeyPem: env('JWT_PUBLIC_KEY', z.string().optional()),
    privateKeyPem: env('JWT_PRIVATE_KEY', z.string().optional()),
    jwksUrl: env('JWT_JWKS_URL', z.string().url().optional()),
    issuer: env('JWT_ISSUER', z.string().default('steward')),
    audience: env('JWT_AUDIENCE', z.string().default('steward-api')),
  }),
  callbackAllowPrivate: env('CALLBACK_ALLOW_PRIVATE', bool),
  graphql: z.object({
    /** Schema introspection on /query; unset: on, except with NODE_ENV=production. */
    introspection: env('GRAPHQL_INTROSPECTION', z.enum(['true', 'false', '1', '0']).optional().transform((v) => (v === undefined ? undefined : v === 'true' || v === '1'))),
  }),
  /** 32-byte key (base64) encrypting passApiKey / pass download details. */
  passLinkKey: env('PASS_LINK_KEY', z.string().min(32).optional()),
  metrics: z.object({
    /** host:port of the worker's Temporal SDK Prometheus exporter; unset: no worker metrics. */
    temporalBindAddress: env('TEMPORAL_METRICS_BIND_ADDRESS', z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port, e.g. 0.0.0.0:9464').optional()),
    /** The worker exporter's URL, appended to the API's /metrics. */
    workerUrl: env('WORKER_METRICS_URL', z.string().url().optional()),
  }),
  wallet: z.object({
    /** Apple pass type identifier of an organisation's passes: `<prefix>.<organisation id>`. */
    applePassTypeIdPrefix: env('APPLE_PASS_TYPE_ID_PREFIX', z.string().regex(/^pass(\.[A-Za-z0-9-]+)+$/, 'must look like pass.com.example').default('pass.io.steward')),
    /** Google Wallet issuer ID: object IDs are `<issuerId>.<serialNumber>`; unset: Google callbacks are refused. */
    googleIssuerId: env('GOOGLE_WALLET_ISSUER_ID', z.string().regex(/^\d{1,32}$/, 'must be the numeric Google Wallet issuer ID').optional()),
    googleRootKeys: env(
      'GOOGLE_WALLET_ROOT_KEYS',
      z
        .string()
        .optional()
        .transform((raw, ctx) => {
          if (raw === undefined || raw === '') return undefined;
          try {
            return googleRootKeysSchema.parse(JSON.parse(raw));
          } catch (err) {
            ctx.addIssue({ code: 'custom', message: `must be Google's keys JSON {"keys":[{"keyValue","protocolVersion","keyExpiration"}]}: ${(err as Error).message.slice(0, 200)}` });
            return z.NEVER;
          }
        }),
    ),
    /** Real passes (src/wallet): signing material as configured (PEM text or a path); all unset in development: generated. */
    apple: z.object({
      teamId: env('APPLE_TEAM_ID', unsetIfEmpty(z.string().regex(/^[A-Z0-9]{10}$/, 'must be the 10-character Apple team identifier').optional())),
      passCert: env('APPLE_PASS_CERT', unsetIfEmpty(z.string().min(1).optional())),
      passKey: env('APPLE_PASS_KEY', unsetIfEmpty(z.string().min(1).optional())),
      passKeyPassphrase: env('APPLE_PASS_KEY_PASSPHRASE', unsetIfEmpty(z.string().optional())),
      wwdrCert: env('APPLE_WWDR_CERT', unsetIfEmpty(z.string().min(1).optional())),
    }),
    /** APNs token auth; `url` unset: Apple's production host, and pushes only when `key` is set. */
    apns: z.object({
      key: env('APNS_KEY', unsetIfEmpty(z.string().min(1).optional())),
      keyId: env('APNS_KEY_ID', unsetIfEmpty(z.string().regex(/^[A-Z0-9]{10}$/, 'must be the 10-character key ID of the APNs auth key').optional())),
      teamId: env('APNS_TEAM_ID', unsetIfEmpty(z.string().regex(/^[A-Z0-9]{10}$/, 'must be the 10-character Apple team identifier').optional())),
      url: env('APNS_URL', unsetIfEmpty(z.string().url().refine((u) => u.startsWith('https://'), 'must be an https URL (APNs speaks HTTP/2 over TLS)').optional())),
      /** Extra CA certificates (PEM or a path) to trust for APNS_URL: tests, a TLS-intercepting proxy. */
      ca: env('APNS_CA', unsetIfEmpty(z.string().min(1).optional())),
    }),
    google: z.object({
      serviceAccount: env('GOOGLE_WALLET_SERVICE_ACCOUNT', unsetIfEmpty(z.string().min(1).optional())),
      apiUrl: env('GOOGLE_WALLET_API_URL', z.string().url().optional()),
      tokenUrl: env('GOOGLE_OAUTH_TOKEN_URL', z.string().url().optional()),
    }),
    /** Concurrent pushes (APNs streams, Google PATCHes) of one push chunk. */
    pushConcurrency: env('WALLET_PUSH_CONCURRENCY', z.coerce.number().int().min(1).max(1000).default(64)),
  }),
  /** DCI registries: Steward's Ed25519 signing key and X25519 encryption key (PKCS#8 PEM or private JWK); development generates them once into the data folder. */
  dci: z.object({
    signingKey: env('DCI_SIGNING_KEY', z.string().min(1).optional()),
    encryptionKey: env('DCI_ENCRYPTION_KEY', z.string().min(1).optional()),
    registryIds: z.object({
      dr: env('DCI_DR_ID', z.string().min(1).default('dr.steward.local')),
      fr: env('DCI_FR_ID', z.string().min(1).default('fr.steward.local')),
    }),
    /** The registries' filter columns held in memory by the API to count search matches (src/services/dci/filterIndex.ts). */
    filterIndex: z.object({
      enabled: env('DCI_FILTER_INDEX', z.enum(['true', 'false', '1', '0']).default('true').transform((v) => v === 'true' || v === '1')),
      /** The least time between two reads of one registry's columns after its records changed. */
      refreshMs: env('DCI_FILTER_INDEX_REFRESH_MS', z.coerce.number().int().min(0).default(10_000)),
    }),
  }),
  /** Bearer token of the registry records admin REST API (/dci/admin); development: generated into the data folder. */
  adminApiToken: env('ADMIN_API_TOKEN', z.string().min(32, 'ADMIN_API_TOKEN must be at least 32 characters').optional()),
  /** Milliseconds between a forget request and the erasure of the personal details (≤ 3 days). */
  forgetGracePeriodMs: env(
    'FORGET_GRACE_PERIOD',
    z
      .string()
      .default('24h')
      .transform((v, ctx) => {
        const ms = parseDuration(v);
        if (ms === null) ctx.addIssue({ code: 'custom', message: 'must be a duration such as 24h, 90m, 30s or 2d' });
        else if (ms > MAX_FORGET_GRACE_MS) ctx.addIssue({ code: 'custom', message: 'must be at most 3 days (personal details are erased within 3 days of the request)' });
        return ms ?? 0;
      }),
  ),
  /** base64 AES-256-GCM key encrypting every Temporal payload (client and worker); unset: a development key in the data folder. */
  payloadEncryptionKey: env(
    'PAYLOAD_ENCRYPTION_KEY',
    z
      .string()
      .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be base64 of 32 bytes (openssl rand -base64 32)')
      .optional(),
  ),
  /** Codec server (POST /codec/decode for the Temporal UI). */
  codec: z.object({
    /** Bearer token of the codec endpoint; unset: a development token in the data folder. */
    authToken: env('CODEC_AUTH_TOKEN', z.string().min(16, 'must be at least 16 characters').optional()),
    corsOrigins: env('CODEC_CORS_ORIGINS', z.string().default('http://localhost:8233').transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))),
  }),
  /** OpenTelemetry tracing (API → workflow → activity); no endpoint: `Config.tracing` is undefined (off). */
  tracing: z.object({
    /** OTLP/HTTP base URL; spans go to <endpoint>/v1/traces. */
    otlpEndpoint: env(
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      z
        .string()
        .url()
        .refine((u) => /^https?:/.test(u), 'must be an http(s) URL, e.g. http://otel-collector:4318')
        .transform((u) => u.replace(/\/$/, ''))
        .optional(),
    ),
    serviceName: env('OTEL_SERVICE_NAME', z.string().min(1).default('steward')),
  }),
  /** Email (SMTP) and SMS delivery of the notification outbox (src/notifications). An unset channel leaves its messages pending. */
  notifications: z.object({
    /** e.g. smtp://user:pass@mail.example:587 or smtps://…:465 (nodemailer URL); npm start: its mail catcher. */
    smtpUrl: env('SMTP_URL', z.string().url().refine((u) => /^smtps?:\/\//.test(u), 'must be an smtp:// or smtps:// URL').optional()),
    mailFrom: env('MAIL_FROM', z.string().min(3).default('Steward <no-reply@steward.local>')),
    smtpPoolSize: env('SMTP_POOL_SIZE', z.coerce.number().int().min(1).max(50).default(5)),
    /** A provider speaking Twilio's Messages API: base URL (https://api.twilio.com), account SID, auth token, sender. */
    sms: z.object({
      url: env('SMS_PROVIDER_URL', z.string().url().refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL').optional()),
      accountSid: env('SMS_ACCOUNT_SID', z.string().min(1).optional()),
      authToken: env('SMS_AUTH_TOKEN', z.string().min(1).optional()),
      from: env('SMS_FROM', z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +447700900000').optional()),
    }),
    /** Messages per delivery activity, and messages in flight at once within it. */
    chunkSize: env('NOTIFY_CHUNK_SIZE', z.coerce.number().int().min(1).max(10_000).default(500)),
    concurrency: env('NOTIFY_CONCURRENCY', z.coerce.number().int().min(1).max(200).default(20)),
    /** npm start's local mail catcher (SMTP + web page); unset: PORT+25 and PORT+80, so each instance has its own. */
    mailCatcher: z.object({
      smtpPort: env('MAIL_CATCHER_SMTP_PORT', port.optional()),
      webPort: env('MAIL_CATCHER_WEB_PORT', port.optional()),
    }),
  }),
});

/** The whole configuration: the tree, the rules across variables, and the values that derive from others. */
export const configSchema = tree
  .superRefine((c, ctx) => {
    const keySources = [c.jwt.secret, c.jwt.publicKeyPem, c.jwt.jwksUrl].filter(Boolean).length;
    const fail = (message: string) => ctx.addIssue({ code: 'custom', message });
    if (keySources > 1) fail('set only one of JWT_SECRET, JWT_PUBLIC_KEY, JWT_JWKS_URL');
    const sms = Object.values(c.notifications.sms);
    if (sms.some(Boolean) && !sms.every(Boolean)) fail('SMS needs all of SMS_PROVIDER_URL, SMS_ACCOUNT_SID, SMS_AUTH_TOKEN and SMS_FROM');
    if (c.env !== 'production') return;
    if (keySources === 0) fail('production needs JWT_SECRET, JWT_PUBLIC_KEY or JWT_JWKS_URL');
    if (!c.passLinkKey) fail('production needs PASS_LINK_KEY');
    if (!c.payloadEncryptionKey) fail('production needs PAYLOAD_ENCRYPTION_KEY');
    if (c.callbackAllowPrivate) {
      ctx.addIssue({ code: 'custom', path: ['callbackAllowPrivate'], message: 'true is refused in production: it turns the SSRF guard off (callbacks could reach internal services)' });
    }
  })
  .transform(({ tracing, notifications: { sms, mailCatcher, ...n }, ...c }) => ({
    ...c,
    notifications: {
      ...n,
      sms: sms.url ? { url: sms.url.replace(/\/$/, ''), accountSid: sms.accountSid!, authToken: sms.authToken!, from: sms.from! } : undefined,
      mailCatcher: { smtpPort: mailCatcher.smtpPort ?? (c.port || 4000) + 25, webPort: mailCatcher.webPort ?? (c.port || 4000) + 80 },
    },
    publicBaseUrl: (c.publicBaseUrl ?? `http://localhost:${c.port}`).replace(/\/$/, ''),
    tracing: tracing.otlpEndpoint ? { otlpEndpoint: tracing.otlpEndpoint, serviceName: tracing.serviceName } : undefined,
  }));

export type Config = z.output<typeof configSchema>;

/** "24h", "90m", "30s", "2d", "500ms" -> milliseconds; null when not a duration. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) return null;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

export class ConfigError extends Error {}

/** Every variable of the tree with the path of its value in `Config`. */
function variables(schema: z.ZodType, at: PropertyKey[] = []): Array<{ name: string; path: PropertyKey[] }> {
  const name = variableOf.get(schema);
  if (name) return [{ name, path: at }];
  if (schema instanceof z.ZodObject) return Object.entries(schema.shape as Record<string, z.ZodType>).flatMap(([key, s]) => variables(s, [...at, key]));
  throw new Error(`config: ${at.join('.')} is neither an env(...) leaf nor a z.object group`);
}
const VARIABLES = variables(tree);

/** Parses and validates the environment; throws a ConfigError naming every bad variable. */
export function loadConfig(environment: NodeJS.ProcessEnv = process.env): Config {
  const input: Record<PropertyKey, unknown> = {};
  for (const v of VARIABLES) {
    const group = v.path.slice(0, -1).reduce<Record<PropertyKey, unknown>>((o, k) => (o[k] ??= {}) as Record<PropertyKey, unknown>, input);
    group[v.path[v.path.length - 1]] = environment[v.name];
  }
  const parsed = configSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const variable = (at: readonly PropertyKey[]) => (at.length ? (VARIABLES.find((v) => v.path.every((k, n) => at[n] === k))?.name ?? '') : '');
  throw new ConfigError(`Invalid configuration:\n  ${formatIssues(parsed.error.issues, variable, '\n  ')}`);
}
