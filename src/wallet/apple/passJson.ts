import { barcodeMessage, designFields, PassContent } from '../passContent';

/**
 * A pass design plus one pass's data → Apple's pass.json (Wallet "Pass" reference, formatVersion 1).
 * Pure: the caller supplies identifiers and the web service URL.
 */
export interface PassJsonContext {
  passTypeIdentifier: string;
  teamIdentifier: string;
  /** Base URL of the PassKit web service (devices call <webServiceURL>/v1/...). */
  webServiceURL: string;
}

const BARCODE_FORMATS: Record<string, string> = {
  QR: 'PKBarcodeFormatQR',
  QRCODE: 'PKBarcodeFormatQR',
  PDF417: 'PKBarcodeFormatPDF417',
  AZTEC: 'PKBarcodeFormatAztec',
  CODE128: 'PKBarcodeFormatCode128',
};

/** Seed 003's barcodeType ("QR", "PDF417", "Aztec", "Code128", or Apple's own names) → Apple's format; null: no barcode. */
export function appleBarcodeFormat(barcodeType: string | null): string | null {
  if (!barcodeType) return null;
  const key = barcodeType.replace(/^PKBarcodeFormat/i, '').replace(/[^A-Za-z0-9]/g, '').toUpperCase();
  return BARCODE_FORMATS[key] ?? 'PKBarcodeFormatQR';
}

/** W3C date-time without fractions, as Apple's examples write it. */
export const w3cDate = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

function rgb(c: { red: number; green: number; blue: number }): string {
  return `rgb(${c.red}, ${c.green}, ${c.blue})`;
}

/** Black or white text, whichever reads better on the background (relative luminance). */
function textColour(c: { red: number; green: number; blue: number }): string {
  const luminance = (0.2126 * c.red + 0.7152 * c.green + 0.0722 * c.blue) / 255;
  return luminance > 0.55 ? 'rgb(0, 0, 0)' : 'rgb(255, 255, 255)';
}

/** Apple's field keys must be unique across a pass's field rows. */
function uniqueKeys(rows: { key: string; label: string; value: string }[][]) {
  const seen = new Set<string>();
  return rows.map((row) =>
    row.map((f) => {
      let key = f.key;
      for (let i = 2; seen.has(key); i++) key = `${f.key}_${i}`;
      seen.add(key);
      return { ...f, key };
    }),
  );
}

export function buildPassJson(content: PassContent, ctx: PassJsonContext): Record<string, unknown> {
  const p = content.presentation;
  const fields = designFields(content);
  const header = [{ key: 'card_title', label: p.passDesignDefaultFields.cardTitleLabel ?? '', value: p.passDesignDefaultFields.cardTitle || content.designTitle }];
  const [headerFields, primaryFields, secondaryFields, auxiliaryFields, backFields] = uniqueKeys([header, fields.primary, fields.secondary, fields.auxiliary, fields.back]);
  const format = appleBarcodeFormat(p.barcodeType);
  const message = barcodeMessage(content);
  const background = p.backgroundColor ?? { red: 255, green: 255, blue: 255 };
  const pass: Record<string, unknown> = {
    formatVersion: 1,
    passTypeIdentifier: ctx.passTypeIdentifier,
    teamIdentifier: ctx.teamIdentifier,
    serialNumber: content.serialNumber,
    organizationName: p.issuingOrganisation || content.organisationName,
    description: content.designTitle,
    logoText: p.passDesignDefaultFields.header || content.organisationName,
    backgroundColor: rgb(background),
    foregroundColor: textColour(background),
    labelColor: textColour(background),
    webServiceURL: ctx.webServiceURL,
    authenticationToken: content.authenticationToken,
    storeCard: { headerFields, primaryFields, secondaryFields, auxiliaryFields, backFields },
  };
  if (format) pass.barcodes = [{ format, message, messageEncoding: 'iso-8859-1', altText: content.serialNumber }];
  if (content.expiredTimestamp) pass.expirationDate = w3cDate(content.expiredTimestamp);
  if (content.isExpired) pass.voided = true;
  if (content.locations.length) {
    pass.locations = content.locations.map((l) => ({ latitude: l.latitude, longitude: l.longitude, ...(l.altitude != null ? { altitude: l.altitude } : {}), relevantText: l.messageText }));
  }
  if (content.beacons.length) {
    pass.beacons = content.beacons.map((b) => ({
      proximityUUID: b.proximityUuid.toUpperCase(),
      ...(b.major != null ? { major: b.major } : {}),
      ...(b.minor != null ? { minor: b.minor } : {}),
      relevantText: b.messageText,
    }));
  }
  return pass;
}
