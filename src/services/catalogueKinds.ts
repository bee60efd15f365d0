import type { BeaconRequest, LocationRequest, TemplateRequest } from '../domain/catalogue';
import { catalogue, CatalogueRow } from './catalogue';

export interface BeaconRow extends CatalogueRow {
  proximity_uuid: string;
  major: number | null;
  minor: number | null;
  message_text: string;
}

export interface LocationRow extends CatalogueRow {
  latitude: number;
  longitude: number;
  altitude: number | null;
  message_text: string;
}

export interface TemplateRow extends CatalogueRow {
  type: string;
  subject: string;
  preheader: string;
  body: string;
  footer: string;
  image_url: string;
}

export const beacons = catalogue<BeaconRequest, BeaconRow>({
  table: 'beacons',
  noun: 'Beacon',
  auditCategory: 'Beacons',
  columns: (b) => ({ proximity_uuid: b.proximityUUID, major: b.major, minor: b.minor, message_text: b.messageText }),
});

export const locations = catalogue<LocationRequest, LocationRow>({
  table: 'locations',
  noun: 'Location',
  auditCategory: 'Geolocations',
  columns: (l) => ({ latitude: l.latitude, longitude: l.longitude, altitude: l.altitude, message_text: l.messageText }),
});

export const deliveryTemplates = catalogue<TemplateRequest, TemplateRow>({
  table: 'pass_delivery_templates',
  noun: 'Pass delivery template',
  // The seed's audit categories have none for templates; they are organisation settings.
  auditCategory: 'Organisation',
  columns: (t) => ({ type: t.type, subject: t.subject, preheader: t.preheader, body: t.body, footer: t.footer, image_url: t.imageURL }),
});

const meta = (r: CatalogueRow) => ({ created: r.created_at, creator: r.creator, lastModified: r.last_modified, modifier: r.modifier });

/** Seed 003's Beacon. */
export const toBeacon = (r: BeaconRow) => ({
  title: r.title,
  proximityUUID: r.proximity_uuid,
  major: r.major,
  minor: r.minor,
  messageText: r.message_text,
  ...meta(r),
});

/** Seed 003's Geolocation. */
export const toGeolocation = (r: LocationRow) => ({
  title: r.title,
  latitude: r.latitude,
  longitude: r.longitude,
  altitude: r.altitude,
  messageText: r.message_text,
  ...meta(r),
});

/** Seed 003's PassDeliveryTemplate. */
export const toPassDeliveryTemplate = (r: TemplateRow) => ({
  title: r.title,
  type: r.type,
  subject: r.subject,
  preheader: r.preheader,
  body: r.body,
  footer: r.footer,
  imageURL: r.image_url,
  ...meta(r),
});
