import { MatchCountCache } from '../../src/services/dci/matchCounts';

const statement = (n: number) => ({ sql: 'SELECT count(*) AS total FROM registry_records WHERE registry = ? AND (x = ?)', bindings: ['fr', n] });

describe('MatchCountCache', () => {
  test('a count is handed back for its registry, data version and statement only', () => {
    const counts = new MatchCountCache();
    counts.set('fr', '7', statement(1), 42);
    expect(counts.get('fr', '7', statement(1))).toBe(42);
    expect(counts.get('fr', '8', statement(1))).toBeUndefined();
    expect(counts.get('dr', '7', statement(1))).toBeUndefined();
    expect(counts.get('fr', '7', statement(2))).toBeUndefined();
    expect(counts.get('fr', '7', { sql: statement(1).sql.replace('x', 'y'), bindings: ['fr', 1] })).toBeUndefined();
    expect(counts).toMatchObject({ hits: 1, misses: 4 });
  });

  test('past its capacity the least recently used count goes first; reading one makes it recent', () => {
    const counts = new MatchCountCache(2);
    counts.set('fr', '1', statement(1), 1);
    counts.set('fr', '1', statement(2), 2);
    expect(counts.get('fr', '1', statement(1))).toBe(1);
    counts.set('fr', '1', statement(3), 3);
    expect(counts.size).toBe(2);
    expect(counts.get('fr', '1', statement(2))).toBeUndefined();
    expect(counts.get('fr', '1', statement(1))).toBe(1);
    expect(counts.get('fr', '1', statement(3))).toBe(3);
    // Setting a kept key again replaces its count and keeps one entry.
    counts.set('fr', '1', statement(3), 4);
    expect(counts.size).toBe(2);
    expect(counts.get('fr', '1', statement(3))).toBe(4);
  });
});
