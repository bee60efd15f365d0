import type { Knex } from 'knex';
import type { Db } from '../db/knex';
import { allocateCardNumbers, formatCardNumber, ReservedRange, SerialSequenceExhaustedError } from '../domain/serials';
import { DomainError } from './errors';

interface SequenceRow {
  id: string;
  organisation_id: string;
  prefix: string;
  card_number_length: number;
  initial_card_number: number;
  latest_card_number: number;
  maximum_card_number: number;
  reserved_ranges: (ReservedRange & { count: number; processed: boolean })[];
  created_at: Date;
  creator: string;
  last_modified: Date;
  modifier: string;
}

export interface AllocatedSerial {
  prefix: string;
  cardNumber: string;
  serialNumber: string;
}

/**
 * Takes `count` serials from a sequence inside the caller's transaction. The row lock serialises
 * concurrent allocations, and the serials commit or roll back together with the passes using them,
 * so a number is never handed out twice nor lost to a retried chunk.
 */
export async function allocateSerials(trx: Knex.Transaction, sequenceId: string, count: number): Promise<AllocatedSerial[]> {
  if (count === 0) return [];
  const seq: SequenceRow = await trx('serial_sequences').where({ id: sequenceId }).forUpdate().first();
  const allocation = allocateFromSequence(seq, count);
  await trx('serial_sequences').where({ id: sequenceId }).update({ latest_card_number: allocation.latest, last_modified: trx.fn.now() });
  return allocation.numbers.map((n) => {
    const cardNumber = formatCardNumber(n, seq.card_number_length);
    return { prefix: seq.prefix, cardNumber, serialNumber: seq.prefix + cardNumber };
  });
}

/** The next `count` card numbers of a sequence row as read; an exhausted sequence is a CONFLICT naming its prefix. */
export function allocateFromSequence(
  seq: Pick<SequenceRow, 'prefix' | 'latest_card_number' | 'reserved_ranges' | 'maximum_card_number'>,
  count: number,
): ReturnType<typeof allocateCardNumbers> {
  try {
    return allocateCardNumbers(seq.latest_card_number, count, seq.reserved_ranges, seq.maximum_card_number);
  } catch (err) {
    if (err instanceof SerialSequenceExhaustedError) throw new DomainError('CONFLICT', `prefix ${seq.prefix}: ${err.message}`);
    throw err;
  }
}

/** Seed 003's SerialNumberDetails for one of the organisation's prefixes. */
export async function getSerialNumberByPrefix(db: Db, organisationId: string, prefix: string) {
  const seq: SequenceRow | undefined = await db('serial_sequences').where({ organisation_id: organisationId, prefix }).first();
  if (!seq) throw new DomainError('NOT_FOUND', `no serial number sequence with prefix "${prefix}"`, 'input.serialPrefix');
  return {
    cardNumberLength: seq.card_number_length,
    initialCardNumber: formatCardNumber(seq.initial_card_number, seq.card_number_length),
    latestCardNumber: seq.latest_card_number,
    prefix: seq.prefix,
    prefixLength: seq.prefix.length,
    created: seq.created_at,
    creator: seq.creator,
    lastModified: seq.last_modified,
    modifier: seq.modifier,
    maximumCardNumber: seq.maximum_card_number,
    reservedRanges: seq.reserved_ranges.map((r) => ({ start: r.start, end: r.end, count: r.count, processed: r.processed })),
    prefixNumber: /^\d+$/.test(seq.prefix) ? Number(seq.prefix) : 0,
  };
}
