/** Pure serial-number arithmetic: allocation that skips reserved ranges, and formatting. */

export interface ReservedRange {
  start: number;
  end: number;
}

export class SerialSequenceExhaustedError extends Error {}

/**
 * The next `count` card numbers after `latest`, skipping every number inside a reserved range
 * (reserved for plastic cards), never above `maximum`. Returns the numbers and the new `latest`.
 */
export function allocateCardNumbers(
  latest: number,
  count: number,
  reserved: readonly ReservedRange[],
  maximum: number,
): { numbers: number[]; latest: number } {
  const ranges = [...reserved].sort((a, b) => a.start - b.start);
  const numbers: number[] = [];
  let next = latest + 1;
  while (numbers.length < count) {
    const hit = ranges.find((r) => next >= r.start && next <= r.end);
    if (hit) {
      next = hit.end + 1;
      continue;
    }
    if (next > maximum) {
      throw new SerialSequenceExhaustedError(
        `serial sequence exhausted: ${count} numbers requested, only ${numbers.length} left below the maximum card number ${maximum}`,
      );
    }
    // Take the whole run up to the next reserved range (or the maximum) in one step.
    const nextRange = ranges.find((r) => r.start > next);
    const runEnd = Math.min(nextRange ? nextRange.start - 1 : maximum, maximum, next + (count - numbers.length) - 1);
    for (let n = next; n <= runEnd; n++) numbers.push(n);
    next = runEnd + 1;
  }
  return { numbers, latest: numbers.length ? numbers[numbers.length - 1] : latest };
}

export function formatCardNumber(cardNumber: number, length: number): string {
  return String(cardNumber).padStart(length, '0');
}

export function formatSerialNumber(prefix: string, cardNumber: number, length: number): string {
  return prefix + formatCardNumber(cardNumber, length);
}

/** The largest card number that fits in `length` digits. */
export function maximumCardNumber(length: number): number {
  return 10 ** length - 1;
}
