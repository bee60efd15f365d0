import { fieldOf, formatIssues } from '../../domain/issues';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import type { UploadedFile } from '../graphql/scalars';

export const MAX_UPLOAD_BYTES = 32 * 1024 * 1024;

function fail(res: Response, status: number, message: string): void {
  res.status(status).json({ errors: [{ message, extensions: { code: status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST' } }] });
}

/** Keys that reach an object's prototype: a map path naming one could change every object of the process. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

const mapSchema = z.record(z.string(), z.array(z.string().min(1, 'must be a non-empty path'), { error: 'must be a list of paths' }), {
  error: 'must be an object {"<file field>": ["variables.<path>", ...]}',
});

/**
 * Puts `value` at a dotted path such as "variables.input.file" or "variables.files.0". Walks own
 * properties only and refuses prototype keys, so a path can never reach anything but the operation.
 */
function setPath(target: Record<string, unknown>, dotted: string, value: unknown): boolean {
  const keys = dotted.split('.');
  if (keys.some((k) => FORBIDDEN_KEYS.has(k))) return false;
  let node: unknown = target;
  for (const k of keys.slice(0, -1)) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, k)) return false;
    node = (node as Record<string, unknown>)[k];
  }
  const last = keys[keys.length - 1];
  if (node === null || typeof node !== 'object') return false;
  (node as Record<string, unknown>)[last] = value;
  return true;
}

/**
 * The GraphQL multipart request spec (https://github.com/jaydenseric/graphql-multipart-request-spec)
 * in front of graphql-http, which only speaks JSON: files are streamed to temporary files (32 MB
 * each at most), put into the operation's variables as Upload values, and the request continues
 * as plain JSON. Temporary files are removed when the response ends.
 */
export function graphqlMultipart(req: Request, res: Response, next: NextFunction): void {
  if (!req.is('multipart/form-data')) return next();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steward-upload-'));
  res.on('close', () => fs.rmSync(dir, { recursive: true, force: true }));

  let operations: Record<string, unknown> | undefined;
  let map: Record<string, string[]> | undefined;
  let mapError: string | undefined;
  const files = new Map<string, Promise<UploadedFile>>();
  let rejected = false;
  const reject = (status: number, message: string) => {
    if (rejected) return;
    rejected = true;
    req.unpipe(bb);
    req.resume();
    fail(res, status, message);
  };

  let bb: busboy.Busboy;
  try {
    bb = busboy({ headers: req.headers, limits: { fileSize: MAX_UPLOAD_BYTES, files: 5, fields: 10, fieldSize: 2 * 1024 * 1024 } });
  } catch (err) {
    return fail(res, 400, `malformed multipart request: ${(err as Error).message}`);
  }
  bb.on('field', (name, value) => {
    try {
      if (name === 'operations') operations = JSON.parse(value);
      else if (name === 'map') {
        const parsed = mapSchema.safeParse(JSON.parse(value));
        if (parsed.success) map = parsed.data;
        else {
          mapError = `multipart field ${formatIssues(parsed.error.issues.slice(0, 1), (p) => fieldOf(p, '"map"'))}`;
        }
      }
    } catch {
      reject(400, `multipart field "${name}" is not valid JSON`);
    }
  });
  bb.on('file', (field, stream, info) => {
    if (mapError) {
      stream.resume();
      return reject(400, mapError);
    }
    if (!operations || !map) {
      stream.resume();
      return reject(400, 'multipart request: the "operations" and "map" fields must come before the files');
    }
    const file = path.join(dir, crypto.randomUUID());
    let size = 0;
    stream.on('data', (c: Buffer) => (size += c.length));
    stream.on('limit', () => reject(413, `file "${info.filename}" is larger than the 32 MB upload limit`));
    const written = pipeline(stream, fs.createWriteStream(file)).then(() => ({ filename: info.filename ?? 'upload', mimetype: info.mimeType, path: file, size }));
    // A rejected request never awaits its files, and its temporary folder may be removed while a
    // write is still opening (ENOENT): that failure is expected, not an unhandled rejection.
    written.catch(() => undefined);
    files.set(field, written);
  });
  bb.on('error', (err) => reject(400, `malformed multipart request: ${(err as Error).message}`));
  bb.on('close', async () => {
    if (rejected) return;
    if (mapError) return reject(400, mapError);
    if (!operations || typeof operations !== 'object' || Array.isArray(operations)) return reject(400, 'multipart field "operations" must be a JSON object {query, variables}');
    if (!operations || !map) return reject(400, 'multipart request needs "operations" and "map" fields');
    try {
      for (const [field, paths] of Object.entries(map)) {
        const upload = files.get(field);
        if (!upload) return reject(400, `multipart map names file field "${field}", which was not sent`);
        const file = await upload;
        if (rejected) return;
        for (const p of paths) if (!setPath(operations, p, file)) return reject(400, `multipart map path "${p}" does not exist in operations`);
      }
    } catch (err) {
      return reject(400, `upload failed: ${(err as Error).message}`);
    }
    req.body = operations;
    req.headers['content-type'] = 'application/json';
    next();
  });
  req.pipe(bb);
}
