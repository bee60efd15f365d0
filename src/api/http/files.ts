import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import type { Request, Response } from 'express';
import { authorize } from '../../auth/permissions';
import type { Deps } from '../../deps';
import { logger } from '../../logger';
import { DomainError } from '../../services/errors';
import { FileStore, fileStream } from '../../services/files';

/**
 * GET /files/:id?expires&sig: a signed, expiring result-file link, for its organisation only. The
 * file is streamed part by part (one stored part in memory at a time), however large it is.
 */
export function fileDownloads(deps: Deps) {
  const files = new FileStore(deps.config);
  return async (req: Request, res: Response): Promise<void> => {
    let file;
    try {
      file = await files.open(deps.db, String(req.params.id), req.principal!.org, String(req.query.expires ?? ''), String(req.query.sig ?? ''));
      authorize(req.principal, `file:${file.kind}`);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      res.status(err.code === 'NOT_FOUND' ? 404 : 403).json({ error: err.code.toLowerCase(), message: err.message });
      return;
    }
    // Stored gzip: sent as is to clients that accept it, inflated for the others (then chunked).
    const gzip = file.content_encoding === 'gzip';
    const passThrough = gzip && /\bgzip\b/.test(req.header('accept-encoding') ?? '');
    if (passThrough) res.setHeader('content-encoding', 'gzip');
    if (!gzip || passThrough) res.setHeader('content-length', String(file.size));
    res
      .status(200)
      .setHeader('vary', 'Accept-Encoding')
      .setHeader('content-type', file.content_type)
      .setHeader('content-disposition', `attachment; filename="${file.filename}"`)
      .setHeader('cache-control', 'private, no-store');
    try {
      await pipeline([fileStream(deps.db, file), ...(gzip && !passThrough ? [zlib.createGunzip()] : []), res]);
    } catch (err) {
      // Headers are sent: the response is cut off (no complete body), so the client sees the failure.
      if (!res.writableFinished) logger.warn({ err, fileId: file.id }, 'file download ended early');
    }
  };
}
