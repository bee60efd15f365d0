import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Config } from '../config';
import type { Db } from '../db/knex';
import { secretOrDevFile } from '../secrets';
import { DomainError } from './errors';

export const DEFAULT_FILE_TTL_DAYS = 7;

export interface StoredFileInput {
  organisationId: string;
  kind: string;
  filename: string;
  contentType: string;
  content: Buffer;
  /** 'gzip' when `content` is compressed. */
  contentEncoding?: 'gzip' | 'identity';
  ttlDays?: number;
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

  async store(db: Db | Knex.Transaction, f: StoredFileInput): Promise<{ id: string; url: string; expiresAt: Date }> {
    const expiresAt = new Date(Date.now() + (f.ttlDays ?? DEFAULT_FILE_TTL_DAYS) * 86_400_000);
    const [row] = await db('stored_files')
      .insert({
        organisation_id: f.organisationId,
        kind: f.kind,
        filename: f.filename,
        content_type: f.contentType,
        content: f.content,
        content_encoding: f.contentEncoding ?? 'identity',
        expires_at: expiresAt,
      })
      .returning('id');
    return { id: row.id, url: this.url(row.id, f.organisationId, expiresAt), expiresAt };
  }

  url(fileId: string, organisationId: string, expiresAt: Date): string {
    const exp = Math.floor(expiresAt.getTime() / 1000);
    return `${this.config.publicBaseUrl}/files/${fileId}?expires=${exp}&sig=${this.sign(fileId, organisationId, exp)}`;
  }

  private sign(fileId: string, organisationId: string, exp: number): string {
    return crypto.createHmac('sha256', this.key).update(`${fileId}.${organisationId}.${exp}`).digest('base64url');
  }

  /** The file behind a download link, for a caller of `organisationId`; throws why not otherwise. */
  async open(db: Db, fileId: string, organisationId: string, expires: string, sig: string) {
    const exp = Number(expires);
    const expected = Buffer.from(this.sign(fileId, organisationId, exp));
    const given = Buffer.from(sig ?? '');
    if (!Number.isInteger(exp) || given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
      throw new DomainError('FORBIDDEN', 'this download link is invalid or belongs to another organisation');
    }
    if (exp * 1000 < Date.now()) throw new DomainError('FORBIDDEN', 'this download link has expired');
    const file = await db('stored_files').where({ id: fileId, organisation_id: organisationId }).first();
    if (!file) throw new DomainError('NOT_FOUND', 'file not found');
    return file as { kind: string; filename: string; content_type: string; content: Buffer; content_encoding: string };
  }
}
