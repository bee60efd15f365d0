import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * A configured secret, or in development one generated once and kept in the data folder, so that
 * `npm start`, the admin CLI and tests agree across restarts. Production configuration requires
 * the real value (config.ts).
 */
export function secretOrDevFile(configured: string | undefined, dataDir: string, name: string): Uint8Array {
  if (configured) return decodeSecret(configured);
  const file = path.join(dataDir, name);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dataDir, { recursive: true });
    try {
      fs.writeFileSync(file, crypto.randomBytes(32).toString('base64url'), { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // another process wrote it first
    }
  }
  return decodeSecret(fs.readFileSync(file, 'utf8').trim());
}

/** base64/base64url of 32 bytes is taken as the key bytes; any other string as its UTF-8 bytes. */
function decodeSecret(value: string): Uint8Array {
  const bytes = Buffer.from(value, 'base64url');
  if (bytes.length === 32 && /^[A-Za-z0-9+/_=-]+$/.test(value)) return new Uint8Array(bytes);
  return new TextEncoder().encode(value);
}
