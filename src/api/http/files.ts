import zlib from 'node:zlib';
import type { Request, Response } from 'express';
import { authorize } from '../../auth/permissions';
import type { Deps } from '../../deps';
import { DomainError } from '../../services/errors';
import { FileStore } from '../../services/files';

/** GET /files/:id?expires&sig: a signed, expiring result-file link, for its organisation only. */
export function fileDownloads(deps: Deps) {
  const files = new FileStore(deps.config);
  return async (req: Request, res: Response): Promise<void> => {
    try {
      const file = await files.open(deps.db, String(req.params.id), req.principal!.org, String(req.query.expires ?? ''), String(req.query.sig ?? ''));
      authorize(req.principal, `file:${file.kind}`);
      // Stored gzip: sent as is to clients that accept it, inflated for the others.
      const gzip = file.content_encoding === 'gzip';
      const passThrough = gzip && /\bgzip\b/.test(req.header('accept-encoding') ?? '');
      if (passThrough) res.setHeader('content-encoding', 'gzip');
      res
        .status(200)
        .setHeader('vary', 'Accept-Encoding')
        .setHeader('content-type', file.content_type)
        .setHeader('content-disposition', `attachment; filename="${file.filename}"`)
        .setHeader('cache-control', 'private, no-store')
        .end(gzip && !passThrough ? zlib.gunzipSync(file.content) : file.content);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      res.status(err.code === 'NOT_FOUND' ? 404 : 403).json({ error: err.code.toLowerCase(), message: err.message });
    }
  };
}
