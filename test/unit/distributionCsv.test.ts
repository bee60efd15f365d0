import { checkHeader, csvRecordToPassDetails } from '../../src/domain/distributionCsv';

describe('distribution CSV rows', () => {
  const header = ['externalReferenceID', 'membership_number', 'membership_name', 'beacons', 'expiredTimestamp', 'payload'];

  it('maps known columns and puts the others in dynamicFields', () => {
    expect(csvRecordToPassDetails(header, ['e1', '001', 'Ann', 'b1; b2', '2030-01-01T00:00:00Z', ''], 1)).toEqual({
      ok: true,
      raw: {
        externalReferenceID: 'e1',
        dynamicFields: { membership_number: '001', membership_name: 'Ann' },
        beacons: ['b1', 'b2'],
        expiredTimestamp: '2030-01-01T00:00:00Z',
      },
    });
  });

  it('fails a row with the wrong number of columns, naming the row', () => {
    const r = csvRecordToPassDetails(header, ['e1', '001'], 7);
    expect(r).toMatchObject({ ok: false, error: 'row 7: has 2 columns but the header has 6' });
  });

  it('checks the header', () => {
    expect(checkHeader(header)).toBeNull();
    expect(checkHeader(['a', 'a', 'externalReferenceID'])).toMatch(/names column "a" twice/);
    expect(checkHeader(['membership_number'])).toMatch(/needs an externalReferenceID column/);
    expect(checkHeader(['externalReferenceID', ''])).toMatch(/empty column name/);
  });
});
