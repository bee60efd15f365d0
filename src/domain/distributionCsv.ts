/**
 * CSV upload of distribution rows: the columns are DistributionPassDetailsInput's fields, and any
 * other column is a dynamic field of the pass design. Lists (beacons, locations) are separated by
 * ";". An empty cell means the field was omitted.
 */
export const PASS_DETAIL_COLUMNS = [
  'externalReferenceID',
  'payload',
  'deliveryMethod',
  'deliveryAddress',
  'deliverySalutation',
  'deliveryName',
  'deliveryTemplate',
  'beacons',
  'locations',
  'expiredTimestamp',
  'serialNumber',
] as const;

const LIST_COLUMNS = new Set(['beacons', 'locations']);
const KNOWN = new Set<string>(PASS_DETAIL_COLUMNS);

export type CsvRow = { ok: true; raw: Record<string, unknown> } | { ok: false; raw: Record<string, unknown>; error: string };

/** Checks a header: names must be unique and non-empty. Returns an error message or null. */
export function checkHeader(header: string[]): string | null {
  const trimmed = header.map((h) => h.trim());
  if (trimmed.some((h) => h === '')) return 'the header row has an empty column name';
  const dup = trimmed.find((h, i) => trimmed.indexOf(h) !== i);
  if (dup) return `the header row names column "${dup}" twice`;
  if (!trimmed.includes('externalReferenceID')) return 'the header row needs an externalReferenceID column (its cells may be empty)';
  return null;
}

/** Turns one data row into the shape of DistributionPassDetailsInput. */
export function csvRecordToPassDetails(header: string[], record: string[], rowNumber: number): CsvRow {
  const raw: Record<string, unknown> = { externalReferenceID: '', dynamicFields: {} };
  const dynamicFields = raw.dynamicFields as Record<string, string>;
  header.forEach((name, i) => {
    const key = name.trim();
    const value = record[i] ?? '';
    if (!KNOWN.has(key)) {
      dynamicFields[key] = value;
    } else if (value !== '' || key === 'externalReferenceID') {
      raw[key] = LIST_COLUMNS.has(key) ? value.split(';').map((v) => v.trim()).filter(Boolean) : value;
    }
  });
  if (record.length !== header.length) {
    return { ok: false, raw, error: `row ${rowNumber}: has ${record.length} columns but the header has ${header.length}` };
  }
  return { ok: true, raw };
}
