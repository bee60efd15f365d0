/** Builds a distribution CSV: `rows` good rows, with the rows whose 1-based number is in `bad` broken. */
export function distributionCsv(rows: number, bad: Set<number> = new Set(), canary = ''): string {
  const lines = ['externalReferenceID,membership_number,membership_name,payload'];
  for (let n = 1; n <= rows; n++) {
    if (!bad.has(n)) lines.push(`ext-${n},${100000 + n},Member ${n}${canary},P${n}`);
    else if (n % 2) lines.push(`ext-${n},${100000 + n}`); // wrong column count
    else lines.push(`ext-${n},${100000 + n},Member ${n},${'x'.repeat(70)}`); // payload over 64 bytes
  }
  return lines.join('\n') + '\n';
}
