import { graphqlOperationLabel } from '../../src/api/metrics';

describe('GraphQL operation label', () => {
  it.each([
    [{ query: 'query { getPaginatedBeacons(input: {batchSize: 1}) { lastDocID } }' }, 'getPaginatedBeacons'],
    [{ query: 'mutation M { createNewBeacon(input: null) { message } }' }, 'createNewBeacon'],
    [{ query: 'query { verifyLocationExists { message } verifyBeaconExists { message } }' }, 'verifyBeaconExists,verifyLocationExists'],
    [{ query: 'query A { getPaginatedBeacons { lastDocID } } query B { getPaginatedLocations { lastDocID } }', operationName: 'B' }, 'getPaginatedLocations'],
    [{ query: 'query A { getPaginatedBeacons { lastDocID } } query B { getPaginatedLocations { lastDocID } }' }, 'invalid'],
    [{ query: '{ __schema { types { name } } }' }, 'introspection'],
    [{ query: 'query { whateverTheClientWants }' }, 'invalid'],
    [{ query: 'query {' }, 'invalid'],
    [{}, 'invalid'],
    [undefined, 'invalid'],
  ])('%j -> %s', (body, label) => {
    expect(graphqlOperationLabel(body)).toBe(label);
  });
});
