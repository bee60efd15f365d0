import type { Db } from '../../db/knex';
import { DomainError, isUniqueViolation } from '../errors';

/**
 * The card issuer's records (seed 001): issuers, their consumers (end users), accounts, cards and
 * digital cards. A digital card is a pass of the issuer's organisation, linked by serial number.
 */
export async function createIssuer(db: Db, input: { id: string; name: string; organisationId: string }) {
  const org = await db('organisations').where({ id: input.organisationId }).first('id');
  if (!org) throw new DomainError('NOT_FOUND', `no organisation ${input.organisationId}`, 'org');
  try {
    const [row] = await db('issuers').insert({ id: input.id, name: input.name, organisation_id: input.organisationId }).returning('*');
    return row;
  } catch (err) {
    if (isUniqueViolation(err)) throw new DomainError('CONFLICT', `issuer ${input.id} already exists`, 'id');
    throw err;
  }
}

/** Registers an end user. A consumerId that was ever deleted is refused: it can never be used again. */
export async function registerConsumer(db: Db, input: { issuerId: string; consumerId: string; name?: string; email?: string }) {
  const existing = await db('consumers').where({ issuer_id: input.issuerId, consumer_id: input.consumerId }).first('status');
  if (existing?.status === 'DELETED') {
    throw new DomainError('CONFLICT', `consumer ${input.consumerId} was deleted and cannot be registered again; register the end user with a new consumerId`, 'consumerId');
  }
  if (existing) throw new DomainError('CONFLICT', `consumer ${input.consumerId} already exists`, 'consumerId');
  if (!(await db('issuers').where({ id: input.issuerId }).first('id'))) throw new DomainError('NOT_FOUND', `no issuer ${input.issuerId}`, 'issuerId');
  try {
    const [row] = await db('consumers')
      .insert({ issuer_id: input.issuerId, consumer_id: input.consumerId, name: input.name ?? null, email: input.email ?? null })
      .returning('*');
    return row;
  } catch (err) {
    if (isUniqueViolation(err)) throw new DomainError('CONFLICT', `consumer ${input.consumerId} already exists`, 'consumerId');
    throw err;
  }
}

/** An active consumer, or NOT_FOUND (a deleted one is not usable). */
export async function activeConsumer(db: Db, issuerId: string, consumerId: string) {
  const c = await db('consumers').where({ issuer_id: issuerId, consumer_id: consumerId }).first();
  if (!c || c.status !== 'ACTIVE') {
    throw new DomainError('NOT_FOUND', c ? `consumer ${consumerId} was deleted` : `no consumer ${consumerId} for issuer ${issuerId}`, 'consumerId');
  }
  return c;
}

export async function createAccount(db: Db, input: { issuerId: string; consumerId: string; accountRef: string }) {
  await activeConsumer(db, input.issuerId, input.consumerId);
  const [row] = await db('accounts').insert({ issuer_id: input.issuerId, consumer_id: input.consumerId, account_ref: input.accountRef }).returning('*');
  return row;
}

export async function createCard(db: Db, input: { accountId: string; cardRef: string; cardholderName?: string; panLast4?: string }) {
  const account = await db('accounts').where({ id: input.accountId }).first();
  if (!account) throw new DomainError('NOT_FOUND', `no account ${input.accountId}`, 'account');
  const [row] = await db('cards')
    .insert({ account_id: input.accountId, card_ref: input.cardRef, cardholder_name: input.cardholderName ?? null, pan_last4: input.panLast4 ?? null })
    .returning('*');
  return row;
}

/** Links a card to a pass of the issuer's organisation: the card in a wallet. */
export async function createDigitalCard(db: Db, input: { cardId: string; serialNumber: string }) {
  const card = await db('cards as c')
    .join('accounts as a', 'a.id', 'c.account_id')
    .join('issuers as i', 'i.id', 'a.issuer_id')
    .where('c.id', input.cardId)
    .first('c.id', 'i.organisation_id');
  if (!card) throw new DomainError('NOT_FOUND', `no card ${input.cardId}`, 'card');
  const pass = await db('passes').where({ serial_number: input.serialNumber, organisation_id: card.organisation_id }).first('id');
  if (!pass) throw new DomainError('NOT_FOUND', `no pass ${input.serialNumber} of the issuer's organisation`, 'serial');
  try {
    const [row] = await db('digital_cards').insert({ card_id: input.cardId, pass_id: pass.id }).returning('*');
    return row;
  } catch (err) {
    if (isUniqueViolation(err)) throw new DomainError('CONFLICT', `pass ${input.serialNumber} is already a digital card`, 'serial');
    throw err;
  }
}
