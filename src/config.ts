import { z } from 'zod';
import path from 'node:path';
import { GoogleRootKeys, googleRootKeysSchema } from './domain/googleWalletCallback';

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
  // DCI registries: Steward's Ed25519 signing key and X25519 encryption key (PKCS#8 PEM or private JWK);
  // development generates them once into the data folder.
  DCI_SIGNING_KEY: z.string().min(1).optional(),
  DCI_ENCRYPTION_KEY: z.string().min(1).optional(),
  DCI_DR_ID: z.string().min(1).default('dr.steward.local'),
  DCI_FR_ID: z.string().min(1).default('fr.steward.local'),
  // Bearer token of the registry records admin REST API (/dci/admin); development: generated into the data folder.
  ADMIN_API_TOKEN: z.string().min(32, 'ADMIN_API_TOKEN must be at least 32 characters').optional(),
});

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
  };
  dci: {
    signingKey?: string;
    encryptionKey?: string;
    registryIds: { dr: string; fr: string };
  };
  adminApiToken?: string;
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
    wallet: { applePassTypeIdPrefix: e.APPLE_PASS_TYPE_ID_PREFIX, googleIssuerId: e.GOOGLE_WALLET_ISSUER_ID, googleRootKeys: e.GOOGLE_WALLET_ROOT_KEYS },
    dci: {
      signingKey: e.DCI_SIGNING_KEY,
      encryptionKey: e.DCI_ENCRYPTION_KEY,
      registryIds: { dr: e.DCI_DR_ID, fr: e.DCI_FR_ID },
    },
    adminApiToken: e.ADMIN_API_TOKEN,
  };
}
