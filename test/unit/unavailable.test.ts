import { unavailableDependency } from '../../src/services/unavailable';

describe('unavailableDependency', () => {
  it.each([
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), 'PostgreSQL'],
    [Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }), 'PostgreSQL'],
    [Object.assign(new Error('the database system is starting up'), { code: '57P03' }), 'PostgreSQL'],
    [new Error('Connection terminated unexpectedly'), 'PostgreSQL'],
    [Object.assign(new Error('Knex: Timeout acquiring a connection'), { name: 'KnexTimeoutError' }), 'PostgreSQL'],
    [Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14, metadata: {} }), 'Temporal'],
    [Object.assign(new Error('Failed to start workflow'), { name: 'ServiceError', cause: { code: 14, metadata: {} } }), 'Temporal'],
  ])('%s -> %s', (err, dependency) => {
    expect(unavailableDependency(err)).toBe(dependency);
  });

  it.each([
    new Error('boom'),
    Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' }),
    Object.assign(new Error('5 NOT_FOUND'), { code: 5, metadata: {} }),
  ])('%s is a plain error', (err) => {
    expect(unavailableDependency(err)).toBeUndefined();
  });
});
