/**
 * What an invalidation request's rows must come to, written plainly (row by row, in order) to
 * check the set-based, parallel chunks against: empty, a repeat of an earlier row (the first row
 * holding the serial), not ours (unknown or another organisation's), already expired, or success.
 */
export function expectedInvalidation(serials: string[], passes: { ours: Set<string>; expired: Map<string, Date> }) {
  const first = new Map<string, number>();
  return serials.map((serial, i) => {
    const row = i + 1;
    if (!serial) return { status: 'failure', error: 'serialNumber is empty' };
    const earlier = first.get(serial);
    if (earlier !== undefined) return { status: 'failure', error: `serial number ${serial} is already in row ${earlier} of this request` };
    first.set(serial, row);
    if (!passes.ours.has(serial)) return { status: 'failure', error: 'no pass with this serial number in your organisation' };
    const expiredAt = passes.expired.get(serial);
    if (expiredAt) return { status: 'failure', error: `the pass has already expired (at ${expiredAt.toISOString()})` };
    return { status: 'success', error: null as string | null };
  });
}
