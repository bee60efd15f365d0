import { appleBarcodeFormat, buildPassJson } from '../../src/wallet/apple/passJson';
import { googleBarcodeType, googleObject } from '../../src/wallet/google/objects';
import type { PassContent } from '../../src/wallet/passContent';
import { defaultPresentation } from '../../src/services/passDesigns';

/** Pure pieces of the wallet formats: barcode names, field rows, colours, expiry, CRC-32. */
const content = (over: Partial<PassContent> = {}): PassContent => ({
  passId: 'p1', serialNumber: '1101000001', organisationId: 'acme', organisationName: 'Acme', designId: 'd1', designTitle: 'Gym',
  passType: 'LongTerm', presentation: { ...defaultPresentation('Acme', 'Gym', ['number', 'name'], 'https://x'), backgroundColor: { red: 10, green: 20, blue: 30 } },
  dynamicFieldKeys: ['number', 'name'], dynamicFieldData: { number: '42', name: 'Ann' }, payload: null, authenticationToken: 'a'.repeat(32),
  isExpired: false, expiredTimestamp: null, linkStartTime: null, createdAt: new Date('2026-01-01T00:00:00Z'), updatedAt: new Date(), beacons: [], locations: [],
  ...over,
});
const ctx = { passTypeIdentifier: 'pass.io.steward.acme', teamIdentifier: 'ABCDE12345', webServiceURL: 'https://steward.example' };

describe('wallet formats', () => {
  it('maps barcode types to Apple and Google names (unknown: QR; none: no barcode)', () => {
    expect(['QR', 'PDF417', 'Aztec', 'CODE_128', 'PKBarcodeFormatPDF417', 'weird', null].map(appleBarcodeFormat)).toEqual([
      'PKBarcodeFormatQR', 'PKBarcodeFormatPDF417', 'PKBarcodeFormatAztec', 'PKBarcodeFormatCode128', 'PKBarcodeFormatPDF417', 'PKBarcodeFormatQR', null,
    ]);
    expect(['QR', 'PDF417', 'Aztec', 'Code128', null].map(googleBarcodeType)).toEqual(['QR_CODE', 'PDF_417', 'AZTEC', 'CODE_128', null]);
  });

  it('builds pass.json: fields with values, unique keys, readable colours, barcode of the serial, expiry and voided', () => {
    const pass = buildPassJson(content(), ctx) as any;
    expect(pass.storeCard.primaryFields).toEqual([{ key: 'number', label: 'Number', value: '42' }, { key: 'name', label: 'Name', value: 'Ann' }]);
    expect(pass).toMatchObject({ backgroundColor: 'rgb(10, 20, 30)', foregroundColor: 'rgb(255, 255, 255)', barcodes: [{ message: '1101000001' }] });
    expect(pass.voided).toBeUndefined();
    const expired = buildPassJson(content({ isExpired: true, expiredTimestamp: new Date('2026-12-02T10:00:00.123Z') }), ctx) as any;
    expect(expired).toMatchObject({ voided: true, expirationDate: '2026-12-02T10:00:00Z' });
    const clash = content();
    clash.presentation = { ...clash.presentation, secondaryFields: { size: 1, items: [{ key: 'number', label: 'Again', position: 1 }] } };
    expect((buildPassJson(clash, ctx) as any).storeCard.secondaryFields).toEqual([{ key: 'number_2', label: 'Again', value: '42' }]);
  });

  it('builds the Google object: IDs, state, text modules, validity', () => {
    const o = googleObject('3388', content({ isExpired: true, expiredTimestamp: new Date('2026-12-02T10:00:00Z') }));
    expect(o).toMatchObject({
      id: '3388.1101000001', classId: '3388.d1', state: 'EXPIRED', hexBackgroundColor: '#0a141e',
      textModulesData: [{ id: 'number', header: 'Number', body: '42' }, { id: 'name', header: 'Name', body: 'Ann' }],
      validTimeInterval: { start: { date: '2026-01-01T00:00:00.000Z' }, end: { date: '2026-12-02T10:00:00.000Z' } },
    });
  });
});
