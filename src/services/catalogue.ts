import type { Knex } from 'knex';
import type { Principal } from '../auth/tokens';
import type { Db } from '../db/knex';
import { keysetPage, KeysetCursor } from '../db/pagination';
import { AuditCategory, recordAudit } from './audit';
import { DomainError, isUniqueViolation } from './errors';

/**
 * An organisation's catalogue records (beacons, locations, pass delivery templates): each is
 * identified by its title within the organisation, created and updated by title, paged newest
 * first. One implementation serves all three; a kind only says its table and columns.
 */
export interface CatalogueRow {
  id: string;
  organisation_id: string;
  title: string;
  created_at: Date;
  creator: string;
  last_modified: Date;
  modifier: string;
}

export interface CatalogueKind<Input extends { title: string }> {
  table: string;
  /** Capitalised noun for messages: "Beacon", "Location", "Pass delivery template". */
  noun: string;
  auditCategory: AuditCategory;
  /** The kind's own columns from a validated input (title and metadata are handled here). */
  columns(input: Input): Record<string, unknown>;
}

export interface Catalogue<Input extends { title: string }, Row extends CatalogueRow> {
  kind: CatalogueKind<Input>;
  find(db: Db, organisationId: string, title: string): Promise<Row | undefined>;
  create(db: Db, principal: Principal, input: Input): Promise<Row>;
  update(db: Db, principal: Principal, input: Input): Promise<Row>;
  page(
    db: Db,
    organisationId: string,
    cursor: KeysetCursor,
    opts?: { orderBy?: 'last_modified' | 'created_at'; where?: Record<string, unknown> },
  ): ReturnType<typeof keysetPage<Row>>;
  /** The seed's verify* answer: whether the title is still free. */
  availability(db: Db, organisationId: string, title: string): Promise<{ message: string; available: boolean }>;
}

export function catalogue<Input extends { title: string }, Row extends CatalogueRow>(kind: CatalogueKind<Input>): Catalogue<Input, Row> {
  const scoped = (db: Db | Knex.Transaction, organisationId: string) => db(kind.table).where({ organisation_id: organisationId });
  const conflict = (title: string) => new DomainError('CONFLICT', `a ${kind.noun.toLowerCase()} titled "${title}" already exists`, 'input.title');
  const audit = (trx: Knex.Transaction, principal: { org: string; email: string }, verb: string, subject: string) =>
    recordAudit(trx, { organisationId: principal.org, actor: principal.email, category: kind.auditCategory, action: `${verb} ${kind.noun.toLowerCase()}`, subject });

  return {
    kind,
    find: (db, organisationId, title) => scoped(db, organisationId).where({ title }).first(),

    async create(db, principal, input) {
      try {
        return await db.transaction(async (trx) => {
          const [row] = await trx(kind.table)
            .insert({ organisation_id: principal.org, title: input.title, ...kind.columns(input), creator: principal.email, modifier: principal.email })
            .returning('*');
          await audit(trx, principal, 'create', row.id);
          return row as Row;
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw conflict(input.title);
        throw err;
      }
    },

    async update(db, principal, input) {
      return db.transaction(async (trx) => {
        const [row] = await scoped(trx, principal.org)
          .where({ title: input.title })
          .update({ ...kind.columns(input), modifier: principal.email, last_modified: trx.fn.now() })
          .returning('*');
        if (!row) throw new DomainError('NOT_FOUND', `no ${kind.noun.toLowerCase()} titled "${input.title}"`, 'input.title');
        await audit(trx, principal, 'update', row.id);
        return row as Row;
      });
    },

    page(db, organisationId, cursor, opts = {}) {
      const query = scoped(db, organisationId);
      if (opts.where) query.where(opts.where);
      return keysetPage<Row>(query, opts.orderBy ?? 'last_modified', cursor);
    },

    async availability(db, organisationId, title) {
      const existing = await scoped(db, organisationId).where({ title }).first('id');
      return existing
        ? { available: false, message: `${kind.noun} title "${title}" already exists` }
        : { available: true, message: `${kind.noun} title "${title}" is available` };
    },
  };
}
