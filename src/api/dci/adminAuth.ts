import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { NextFunction, Request, Response } from 'express';
import type { Config } from '../../config';

/**
 * The registry records admin API is for the registry's operators, not for organisations' users:
 * it takes `Authorization: Bearer <ADMIN_API_TOKEN>`. Development generates the token once into
 * the data folder (`npm run admin -- dci admin-token` prints it); production without it has the
 * admin API switched off.
 */
export function adminApiToken(config: Config): string | undefined {
  if (config.adminApiToken) return config.adminApiToken;
  if (config.env === 'production') return undefined;
  const file = path.join(config.dataDir, 'admin-api-token');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(config.dataDir, { recursive: true });
    try {
      fs.writeFileSync(file, crypto.randomBytes(32).toString('base64url'), { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return fs.readFileSync(file, 'utf8').trim();
}

export function requireAdminToken(config: Config) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const expected = adminApiToken(config);
    if (!expected) {
      res.status(503).json({ error: 'admin_api_disabled', message: 'set ADMIN_API_TOKEN to use the registry admin API' });
      return;
    }
    const given = /^Bearer\s+(\S+)$/i.exec(req.header('authorization') ?? '')?.[1] ?? '';
    const a = crypto.createHash('sha256').update(given).digest();
    const b = crypto.createHash('sha256').update(expected).digest();
    if (!given || !crypto.timingSafeEqual(a, b)) {
      res.status(401).setHeader('WWW-Authenticate', 'Bearer').json({ error: 'unauthorized', message: 'send Authorization: Bearer <ADMIN_API_TOKEN>' });
      return;
    }
    next();
  };
}
