import { z } from 'zod';
import path from 'node:path';
import { GoogleRootKeys, googleRootKeysSchema } from './domain/googleWalletCallback';
import { MAX_FORGET_GRACE_MS } from './domain/forget';

/**
 * All configuration comes from environment variables, validated here once.
 * The rest of the code receives a typed `Config` and trusts it.
 */
const bool = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1');

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  PUBLIC_BASE_URL: z.string().url().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  STEWARD_DATA_DIR: z.string().default('.data'),

  DATABASE_URL: z.string().url().optional(),
  EMBEDDED_POSTGRES_PORT: z.coerce.number().int().min(1).max(65535).default(54329),

  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('steward'),
  TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
  TEMPORAL_DEV_PORT: z.coerce.number().int().min(1).max(65535).default(7233),
  // A prebuilt workflow bundle (tests, CI); otherwise the worker bundles workflows/ at start.
  WORKFLOW_BUNDLE_PATH: z.string().optional(),

  // JWT verification: exactly one of a shared HS256 secret, an EdDSA public key (PEM) or a JWKS URL.
  JWT_SECRET: z.string().min(32, 'JWT_SECRET must be at least 32 characters').optional(),
  JWT_PUBLIC_KEY: z.string().optional(),
  JWT_PRIVATE_KEY: z.string().optional(),
  JWT_JWKS_URL: z.string().url().optional(),
  JWT_ISSUER: z.string().default('steward'),
  JWT_AUDIENCE: z.string().default('steward-api'),

  CALLBACK_ALLOW_PRIVATE: bool,
  // 32-byte key (base64) encrypting passApiKey / pass download details.
  PASS_LINK_KEY: z.string().min(32).optional(),

  // Prometheus: where the worker's Temporal SDK exporter listens, and where the API finds it for /metrics.
  TEMPORAL_METRICS_BIND_ADDRESS: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port, e.g. 0.0.0.0:9464').optional(),
  WORKER_METRICS_URL: z.string().url().optional(),

  // Wallets: Apple pass type identifiers are "<prefix>.<organisation id>"; Google's issuer ID and root signing keys.
  APPLE_PASS_TYPE_ID_PREFIX: z.string().regex(/^pass(\.[A-Za-z0-9-]+)+$/, 'must look like pass.com.example').default('pass.io.steward'),
  GOOGLE_WALLET_ISSUER_ID: z.string().regex(/^\d{1,32}$/, 'must be the numeric Google Wallet issuer ID').optional(),
  GOOGLE_WALLET_ROOT_KEYS: z
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
  // Real passes (src/wallet): Apple signing material and APNs token key, Google service account; PEM/JSON text or a file path.
  APPLE_TEAM_ID: z.string().regex(/^[A-Z0-9]{10}$/, 'must be the 10-character Apple team identifier').optional(),
  APPLE_PASS_CERT: z.string().min(1).optional(),
  APPLE_PASS_KEY: z.string().min(1).optional(),
  APPLE_PASS_KEY_PASSPHRASE: z.string().optional(),
  APPLE_WWDR_CERT: z.string().min(1).optional(),
  APNS_KEY: z.string().min(1).optional(),
  APNS_KEY_ID: z.string().regex(/^[A-Z0-9]{10}$/, 'must be the 10-character key ID of the APNs auth key').optional(),
  APNS_TEAM_ID: z.string().regex(/^[A-Z0-9]{10}$/, 'must be the 10-character Apple team identifier').optional(),
  APNS_URL: z.string().url().refine((u) => u.startsWith('https://'), 'must be an https URL (APNs speaks HTTP/2 over TLS)').optional(),
  APNS_CA: z.string().min(1).optional(),
  GOOGLE_WALLET_SERVICE_ACCOUNT: z.string().min(1).optional(),
  GOOGLE_WALLET_API_URL: z.string().url().optional(),
  GOOGLE_OAUTH_TOKEN_URL: z.string().url().optional(),
  WALLET_PUSH_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(64),
  // DCI registries: Steward's Ed25519 signing key and X25519 encryption key (PKCS#8 PEM or private JWK);
  // development generates them once into the data folder.
  DCI_SIGNING_KEY: z.string().min(1).optional(),
  DCI_ENCRYPTION_KEY: z.string().min(1).optional(),
  DCI_DR_ID: z.string().min(1).default('dr.steward.local'),
  DCI_FR_ID: z.string().min(1).default('fr.steward.local'),
  // Bearer token of the registry records admin REST API (/dci/admin); development: generated into the data folder.
  ADMIN_API_TOKEN: z.string().min(32, 'ADMIN_API_TOKEN must be at least 32 characters').optional(),
  // GDPR forgetting: how long after the request (and the pass's expiry) personal details are erased.
  FORGET_GRACE_PERIOD: z
    .string()
    .default('24h')
    .transform((v, ctx) => {
      const ms = parseDuration(v);
      if (ms === null) ctx.addIssue({ code: 'custom', message: 'must be a duration such as 24h, 90m, 30s or 2d' });
      else if (ms > MAX_FORGET_GRACE_MS) ctx.addIssue({ code: 'custom', message: 'must be at most 3 days (personal details are erased within 3 days of the request)' });
      return ms ?? 0;
    }),
  // AES-256-GCM key (base64 of 32 bytes) encrypting every Temporal payload (client and worker).
  PAYLOAD_ENCRYPTION_KEY: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be base64 of 32 bytes (openssl rand -base64 32)')
    .optional(),
  // Codec server (POST /codec/decode for the Temporal UI): bearer token and allowed UI origins.
  CODEC_AUTH_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  CODEC_CORS_ORIGINS: z.string().default('http://localhost:8233'),
  // OpenTelemetry tracing (API → workflow → activity): the OTLP/HTTP collector's base URL; unset: no tracing.
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().refine((u) => /^https?:/.test(u), 'must be an http(s) URL, e.g. http://otel-collector:4318').optional(),
  OTEL_SERVICE_NAME: z.string().min(1).default('steward'),
});

/** "24h", "90m", "30s", "2d", "500ms" -> milliseconds; null when not a duration. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) return null;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

export type Env = z.infer<typeof envSchema>;

export interface Config {
  env: Env['NODE_ENV'];
  port: number;
  publicBaseUrl: string;
  logLevel: Env['LOG_LEVEL'];
  dataDir: string;
  databaseUrl?: string;
  embeddedPostgresPort: number;
  temporal: {
    address?: string;
    namespace: string;
    taskQueue: string;
    uiPort: number;
    devPort: number;
    workflowBundlePath?: string;
  };
  jwt: {
    secret?: string;
    publicKeyPem?: string;
    privateKeyPem?: string;
    jwksUrl?: string;
    issuer: string;
    audience: string;
  };
  callbackAllowPrivate: boolean;
  passLinkKey?: string;
  metrics: {
    /** host:port of the worker's Temporal SDK Prometheus exporter; unset: no worker metrics. */
    temporalBindAddress?: string;
    /** The worker exporter's URL, appended to the API's /metrics. */
    workerUrl?: string;
  };
  wallet: {
    /** Apple pass type identifier of an organisation's passes: `<prefix>.<organisation id>`. */
    applePassTypeIdPrefix: string;
    /** Google Wallet issuer ID: object IDs are `<issuerId>.<serialNumber>`; unset: Google callbacks are refused. */
    googleIssuerId?: string;
    googleRootKeys?: GoogleRootKeys;
    /** Signing material as configured (text or path); unset in development: generated (src/wallet/devCredentials.ts). */
    apple: { teamId?: string; passCert?: string; passKey?: string; passKeyPassphrase?: string; wwdrCert?: string };
    /** APNs token auth; `url` unset: Apple's production host, and pushes only when `key` is set. */
    apns: { key?: string; keyId?: string; teamId?: string; url?: string; ca?: string };
    google: { serviceAccount?: string; apiUrl?: string; tokenUrl?: string };
    /** Concurrent pushes (APNs streams, Google PATCHes) of one push chunk. */
    pushConcurrency: number;
  };
  dci: {
    signingKey?: string;
    encryptionKey?: string;
    registryIds: { dr: string; fr: string };
  };
  adminApiToken?: string;
  /** Milliseconds between a forget request and the erasure of the personal details (≤ 3 days). */
  forgetGracePeriodMs: number;
  /** base64 AES-256 key for Temporal payloads; unset: a development key in the data folder. */
  payloadEncryptionKey?: string;
  codec: {
    /** Bearer token of the codec endpoint; unset: a development token in the data folder. */
    authToken?: string;
    corsOrigins: string[];
  };
  /** OpenTelemetry tracing; undefined: off (nothing installed). */
  tracing?: {
    /** OTLP/HTTP base URL; spans go to <endpoint>/v1/traces. */
    otlpEndpoint: string;
    serviceName: string;
  };
}

export class ConfigError extends Error {}

/** Parses and validates the environment; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const keySources = [e.JWT_SECRET, e.JWT_PUBLIC_KEY, e.JWT_JWKS_URL].filter(Boolean).length;
  if (keySources > 1) {
    throw new ConfigError('Invalid configuration: set only one of JWT_SECRET, JWT_PUBLIC_KEY, JWT_JWKS_URL');
  }
  if (e.NODE_ENV === 'production' && keySources === 0) {
    throw new ConfigError('Invalid configuration: production needs JWT_SECRET, JWT_PUBLIC_KEY or JWT_JWKS_URL');
  }
  if (e.NODE_ENV === 'production' && !e.PASS_LINK_KEY) {
    throw new ConfigError('Invalid configuration: production needs PASS_LINK_KEY');
  }
  if (e.NODE_ENV === 'production' && !e.PAYLOAD_ENCRYPTION_KEY) {
    throw new ConfigError('Invalid configuration: production needs PAYLOAD_ENCRYPTION_KEY');
  }
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    publicBaseUrl: (e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ''),
    logLevel: e.LOG_LEVEL,
    dataDir: path.resolve(e.STEWARD_DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    embeddedPostgresPort: e.EMBEDDED_POSTGRES_PORT,
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      uiPort: e.TEMPORAL_UI_PORT,
      devPort: e.TEMPORAL_DEV_PORT,
      workflowBundlePath: e.WORKFLOW_BUNDLE_PATH,
    },
    jwt: {
      secret: e.JWT_SECRET,
      publicKeyPem: e.JWT_PUBLIC_KEY,
      privateKeyPem: e.JWT_PRIVATE_KEY,
      jwksUrl: e.JWT_JWKS_URL,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
    },
    callbackAllowPrivate: e.CALLBACK_ALLOW_PRIVATE,
    passLinkKey: e.PASS_LINK_KEY,
    metrics: { temporalBindAddress: e.TEMPORAL_METRICS_BIND_ADDRESS, workerUrl: e.WORKER_METRICS_URL },
    wallet: { applePassTypeIdPrefix: e.APPLE_PASS_TYPE_ID_PREFIX, googleIssuerId: e.GOOGLE_WALLET_ISSUER_ID, googleRootKeys: e.GOOGLE_WALLET_ROOT_KEYS,
      apple: { teamId: e.APPLE_TEAM_ID, passCert: e.APPLE_PASS_CERT, passKey: e.APPLE_PASS_KEY, passKeyPassphrase: e.APPLE_PASS_KEY_PASSPHRASE, wwdrCert: e.APPLE_WWDR_CERT },
      apns: { key: e.APNS_KEY, keyId: e.APNS_KEY_ID, teamId: e.APNS_TEAM_ID, url: e.APNS_URL, ca: e.APNS_CA },
      google: { serviceAccount: e.GOOGLE_WALLET_SERVICE_ACCOUNT, apiUrl: e.GOOGLE_WALLET_API_URL, tokenUrl: e.GOOGLE_OAUTH_TOKEN_URL },
      pushConcurrency: e.WALLET_PUSH_CONCURRENCY },
    dci: {
      signingKey: e.DCI_SIGNING_KEY,
      encryptionKey: e.DCI_ENCRYPTION_KEY,
      registryIds: { dr: e.DCI_DR_ID, fr: e.DCI_FR_ID },
    },
    adminApiToken: e.ADMIN_API_TOKEN,
    forgetGracePeriodMs: e.FORGET_GRACE_PERIOD,
    payloadEncryptionKey: e.PAYLOAD_ENCRYPTION_KEY,
    codec: {
      authToken: e.CODEC_AUTH_TOKEN,
      corsOrigins: e.CODEC_CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean),
    },
    tracing: e.OTEL_EXPORTER_OTLP_ENDPOINT ? { otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, ''), serviceName: e.OTEL_SERVICE_NAME } : undefined,
  };
}
