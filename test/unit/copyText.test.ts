import { copyLine, copyText, pgTextArray } from '../../src/db/copy';

describe("COPY's text format", () => {
  it('writes NULL as \\N and escapes the characters that frame rows and columns', () => {
    expect(copyText(null)).toBe('\\N');
    expect(copyText(undefined)).toBe('\\N');
    expect(copyText('plain')).toBe('plain');
    expect(copyText(42)).toBe('42');
    expect(copyText(false)).toBe('false');
    expect(copyText('a\tb\nc\rd\\e')).toBe('a\\tb\\nc\\rd\\\\e');
    expect(copyText('\\N')).toBe('\\\\N'); // the text "\N", not NULL
  });

  it('joins a row with tabs, no newline', () => {
    expect(copyLine(['x', null, 'tab\there', 7])).toBe('x\t\\N\ttab\\there\t7');
  });

  it('quotes every text[] item, escaping quotes and backslashes', () => {
    expect(pgTextArray([])).toBe('{}');
    expect(pgTextArray(['a', 'b c', 'q"uote', 'back\\slash', 'NULL'])).toBe('{"a","b c","q\\"uote","back\\\\slash","NULL"}');
  });
});
