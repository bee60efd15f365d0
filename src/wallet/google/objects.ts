import { barcodeMessage, designFields, PassContent } from '../passContent';

/**
 * A pass design → a Google Wallet generic class, a pass → a generic object (Google Wallet REST API,
 * `genericClass` / `genericObject`). Pure. Class IDs are `<issuerId>.<designId>`, object IDs
 * `<issuerId>.<serialNumber>`, which is what Google's callbacks carry back.
 */
const localized = (value: string) => ({ defaultValue: { language: 'en', value } });

const GOOGLE_BARCODES: Record<string, string> = { QR: 'QR_CODE', QRCODE: 'QR_CODE', PDF417: 'PDF_417', AZTEC: 'AZTEC', CODE128: 'CODE_128' };

export function googleBarcodeType(barcodeType: string | null): string | null {
  if (!barcodeType) return null;
  return GOOGLE_BARCODES[barcodeType.replace(/^PKBarcodeFormat/i, '').replace(/[^A-Za-z0-9]/g, '').toUpperCase()] ?? 'QR_CODE';
}

export const googleClassId = (issuerId: string, designId: string) => `${issuerId}.${designId}`;
export const googleObjectId = (issuerId: string, serialNumber: string) => `${issuerId}.${serialNumber}`;

export function googleClass(issuerId: string, content: PassContent) {
  return { id: googleClassId(issuerId, content.designId) };
}

const hex = (c: { red: number; green: number; blue: number }) => `#${[c.red, c.green, c.blue].map((v) => v.toString(16).padStart(2, '0')).join('')}`;

/** The parts of the object that change with the pass: what a PATCH sends after a change. */
export function googleObjectState(content: PassContent) {
  const fields = designFields(content);
  const type = googleBarcodeType(content.presentation.barcodeType);
  const start = content.linkStartTime ?? content.createdAt;
  return {
    state: content.isExpired ? 'EXPIRED' : 'ACTIVE',
    textModulesData: [...fields.primary, ...fields.secondary, ...fields.auxiliary, ...fields.back].map((f) => ({ id: f.key.replace(/[^A-Za-z0-9_]/g, '_'), header: f.label || f.key, body: f.value })),
    ...(type ? { barcode: { type, value: barcodeMessage(content), alternateText: content.serialNumber } } : {}),
    validTimeInterval: { start: { date: start.toISOString() }, ...(content.expiredTimestamp ? { end: { date: content.expiredTimestamp.toISOString() } } : {}) },
  };
}

export function googleObject(issuerId: string, content: PassContent) {
  const p = content.presentation;
  return {
    id: googleObjectId(issuerId, content.serialNumber),
    classId: googleClassId(issuerId, content.designId),
    cardTitle: localized(p.passDesignDefaultFields.header || content.organisationName),
    header: localized(p.passDesignDefaultFields.cardTitle || content.designTitle),
    ...(p.passDesignDefaultFields.subheader ? { subheader: localized(p.passDesignDefaultFields.subheader) } : {}),
    hexBackgroundColor: hex(p.backgroundColor ?? { red: 255, green: 255, blue: 255 }),
    ...(p.passBrandingLogo?.sourceURI?.startsWith('https://') ? { logo: { sourceUri: { uri: p.passBrandingLogo.sourceURI } } } : {}),
    ...googleObjectState(content),
  };
}
