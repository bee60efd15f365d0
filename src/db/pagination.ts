import type { Knex } from 'knex';

export interface KeysetCursor {
  /** Timestamp of the last row of the previous page. */
  lastTimestamp?: Date | null;
  /** ID of the last row of the previous page. */
  lastDocID?: string | null;
  batchSize: number;
}

export interface KeysetPage<Row> {
  rows: Row[];
  lastTimestamp: Date | null;
  lastDocID: string | null;
}

/**
 * The seed's cursor pagination (newest first, cursor = last row's timestamp + ID) for any table.
 * Timestamps are compared at millisecond precision because that is what the cursor can carry.
 */
export async function keysetPage<Row extends { id: string }>(
  query: Knex.QueryBuilder,
  timestampColumn: string,
  cursor: KeysetCursor,
): Promise<KeysetPage<Row>> {
  // Qualify id like the timestamp ("d.last_modified" -> "d.id") so joins stay unambiguous.
  const table = timestampColumn.includes('.') ? `${timestampColumn.split('.')[0]}.` : '';
  const id = `${table}id::text`;
  const ts = `date_trunc('milliseconds', ${timestampColumn})`;
  if (cursor.lastTimestamp && cursor.lastDocID) {
    query.whereRaw(`(${ts}, ${id}) < (?, ?)`, [cursor.lastTimestamp, cursor.lastDocID]);
  } else if (cursor.lastTimestamp) {
    query.whereRaw(`${ts} < ?`, [cursor.lastTimestamp]);
  }
  const rows = (await query.orderByRaw(`${ts} DESC, ${id} DESC`).limit(cursor.batchSize)) as Row[];
  const last = rows[rows.length - 1] as (Row & Record<string, unknown>) | undefined;
  const column = timestampColumn.split('.').pop() as string;
  return {
    rows,
    lastTimestamp: last ? (last[column] as Date) : null,
    lastDocID: last ? last.id : null,
  };
}
