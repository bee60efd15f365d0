import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import type { Knex } from 'knex';
import type { Config } from '../config';
import type { Db } from '../db/knex';
import { secretOrDevFile } from '../secrets';
import { DomainError } from './errors';

export const DEFAULT_FILE_TTL_DAYS = 7;

/** Bytes per `stored_file_parts` row: what a writer or a reader holds of a file at a time. */
export const FILE_PART_BYTES = 1024 * 1024;

/** A file's bytes: a Buffer, or a stream of chunks (a gzip stream) consumed as it is produced. */
export type FileContent = Buffer | AsyncIterable<Buffer>;

export interface StoredFileInput {
  organisationId: string;
  kind: string;
  filename: string;
  contentType: string;
  content: FileContent;
  /** 'gzip' when `content` is compressed. */
  contentEncoding?: 'gzip' | 'identity';
  ttlDays?: number;
}

/** A stored file's row without its bytes (those are read part by part with `readFileParts`). */
export interface StoredFile {
  id: string;
  organisation_id: string;
  kind: string;
  filename: string;
  content_type: string;
  content_encoding: 'gzip' | 'identity';
  generation: number;
  size: string | number;
}

type Queryable = Db | Knex.Transaction;

/** Runs `fn` in the caller's transaction, or in one of its own, so a file is written whole or not at all. */
function inTransaction<T>(db: Queryable, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return (db as Knex.Transaction).isTransaction ? fn(db as Knex.Transaction) : db.transaction(fn);
}

/** Cuts content into FILE_PART_BYTES pieces (the last one shorter) as its chunks arrive. */
async function* partsOf(content: FileContent): AsyncIterable<Buffer> {
  if (Buffer.isBuffer(content)) {
    for (let at = 0; at < content.length; at += FILE_PART_BYTES) yield content.subarray(at, at + FILE_PART_BYTES);
    return;
  }
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of content) {
    let rest = chunk;
    while (pendingBytes + rest.length >= FILE_PART_BYTES) {
      const take = FILE_PART_BYTES - pendingBytes;
      pending.push(rest.subarray(0, take));
      yield Buffer.concat(pending);
      pending = [];
      pendingBytes = 0;
      rest = rest.subarray(take);
    }
    if (rest.length) {
      pending.push(rest);
      pendingBytes += rest.length;
    }
  }
  if (pendingBytes) yield Buffer.concat(pending);
}

/** Writes one generation of a file's parts, one INSERT per part as the content streams in; returns the byte count. */
async function writeParts(trx: Knex.Transaction, fileId: string, generation: number, content: FileContent): Promise<number> {
  let part = 0;
  let size = 0;
  // Leaving the loop early (an INSERT failed) returns the iterator, which destroys a stream source.
  for await (const bytes of partsOf(content)) {
    await trx('stored_file_parts').insert({ file_id: fileId, generation, part: part++, content: bytes });
    size += bytes.length;
  }
  return size;
}

/**
 * Stores a file: its row and its parts, in the caller's transaction (or one of its own), so a
 * failed or retried writer leaves no partial file. The one write path for every stored file.
 */
export async function insertStoredFile(db: Queryable, f: StoredFileInput): Promise<{ id: string; expiresAt: Date; size: number }> {
  const expiresAt = new Date(Date.now() + (f.ttlDays ?? DEFAULT_FILE_TTL_DAYS) * 86_400_000);
  return inTransaction(db, async (trx) => {
    const [row] = await trx('stored_files')
      .insert({
        organisation_id: f.organisationId,
        kind: f.kind,
        filename: f.filename,
        content_type: f.contentType,
        content_encoding: f.contentEncoding ?? 'identity',
        expires_at: expiresAt,
      })
      .returning('id');
    const size = await writeParts(trx, row.id, 0, f.content);
    await trx('stored_files').where({ id: row.id }).update({ size });
    return { id: row.id as string, expiresAt, size };
  });
}

/**
 * Replaces a stored file's bytes (erasure rewrites): the new content is written as the next
 * generation, then the row points at it and the old parts are deleted, all in `trx`, so a reader
 * still on the old generation fails instead of mixing the two. `keep`, asked once the content is
 * written (a streamed rewrite knows only then whether anything changed), can drop the new parts
 * and leave the file as it was. Returns whether the file was replaced.
 */
export async function replaceStoredFileContent(
  trx: Knex.Transaction,
  file: Pick<StoredFile, 'id' | 'generation'>,
  content: FileContent,
  contentEncoding: 'gzip' | 'identity',
  keep: () => boolean = () => true,
): Promise<boolean> {
  const generation = file.generation + 1;
  const size = await writeParts(trx, file.id, generation, content);
  if (!keep()) {
    await trx('stored_file_parts').where({ file_id: file.id, generation }).delete();
    return false;
  }
  await trx('stored_files').where({ id: file.id }).update({ generation, size, content_encoding: contentEncoding });
  await trx('stored_file_parts').where({ file_id: file.id }).whereNot({ generation }).delete();
  return true;
}

/**
 * A stored file's bytes, part by part in order (one part in memory at a time). Throws when a part
 * is missing before `size` bytes came, e.g. the file was rewritten while it was being read.
 */
export async function* readFileParts(db: Queryable, file: Pick<StoredFile, 'id' | 'generation' | 'size'>): AsyncIterable<Buffer> {
  const size = Number(file.size);
  let read = 0;
  for (let part = 0; read < size; part++) {
    const row = await db('stored_file_parts').where({ file_id: file.id, generation: file.generation, part }).first('content');
    if (!row) throw new Error(`stored file ${file.id}: part ${part} of generation ${file.generation} is gone (rewritten or deleted while being read)`);
    read += row.content.length;
    yield row.content as Buffer;
  }
}

/** readFileParts as a Readable that fetches the next part only when the previous one was consumed. */
export function fileStream(db: Queryable, file: Pick<StoredFile, 'id' | 'generation' | 'size'>): Readable {
  return Readable.from(readFileParts(db, file), { objectMode: false, highWaterMark: 1 });
}

/** A stored file's row (no bytes), or undefined. `forUpdate` locks it in `db`'s transaction. */
export async function findStoredFile(db: Queryable, id: string, opts: { forUpdate?: boolean } = {}): Promise<StoredFile | undefined> {
  const q = db('stored_files').where({ id });
  if (opts.forUpdate) q.forUpdate();
  return q.first('id', 'organisation_id', 'kind', 'filename', 'content_type', 'content_encoding', 'generation', 'size');
}

/**
 * Result files (CSV) kept in PostgreSQL, so they commit with the job that made them and can be
 * found and rewritten by erasure. Download links are signed (file, organisation, expiry) and the
 * download also needs a token of that organisation.
 */
export class FileStore {
  private readonly key: Buffer;

  constructor(private readonly config: Config) {
    // A key of its own, derived from the pass-link key, so one leaked link key doesn't forge the other.
    const base = secretOrDevFile(config.passLinkKey, config.dataDir, 'pass-link-key');
    this.key = Buffer.from(crypto.hkdfSync('sha256', base, Buffer.alloc(0), 'steward:file-links', 32));
  }

  /** Stores a file (insertStoredFile) and returns its signed download link. */
  async store(db: Queryable, f: StoredFileInput): Promise<{ id: string; url: string; expiresAt: Date; size: number }> {
    const { id, expiresAt, size } = await insertStoredFile(db, f);
    return { id, url: this.url(id, f.organisationId, expiresAt), expiresAt, size };
  }

  url(fileId: string, organisationId: string, expiresAt: Date): string {
    const exp = Math.floor(expiresAt.getTime() / 1000);
    return `${this.config.publicBaseUrl}/files/${fileId}?expires=${exp}&sig=${this.sign(fileId, organisationId, exp)}`;
  }

  private sign(fileId: string, organisationId: string, exp: number): string {
    return crypto.createHmac('sha256', this.key).update(`${fileId}.${organisationId}.${exp}`).digest('base64url');
  }

  /** The file behind a download link (its row; bytes via `readFileParts`), for a caller of `organisationId`; throws why not otherwise. */
  async open(db: Db, fileId: string, organisationId: string, expires: string, sig: string): Promise<StoredFile> {
    const exp = Number(expires);
    const expected = Buffer.from(this.sign(fileId, organisationId, exp));
    const given = Buffer.from(sig ?? '');
    if (!Number.isInteger(exp) || given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
      throw new DomainError('FORBIDDEN', 'this download link is invalid or belongs to another organisation');
    }
    if (exp * 1000 < Date.now()) throw new DomainError('FORBIDDEN', 'this download link has expired');
    const file = await findStoredFile(db, fileId);
    if (!file || file.organisation_id !== organisationId) throw new DomainError('NOT_FOUND', 'file not found');
    return file;
  }
}
