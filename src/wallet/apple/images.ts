import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import type { Db } from '../../db/knex';

/**
 * A design's images, as the files a .pkpass holds: `icon.png`, `icon@2x.png`, `logo.png`, `strip@2x.png`...
 * Set with `admin design create|update --icon FILE --logo FILE --strip FILE` (each optionally with
 * its @2x/@3x siblings). Wallet refuses a pass without an icon, so a design without one gets the
 * shipped default (assets/wallet/icon*.png).
 */
export const IMAGE_KINDS = ['icon', 'logo', 'strip'] as const;
export type ImageKind = (typeof IMAGE_KINDS)[number];
export const IMAGE_SCALES = ['', '@2x', '@3x'] as const;

const ASSETS = path.join(__dirname, '..', '..', '..', 'assets', 'wallet');
let defaultIcon: Record<string, Buffer> | undefined;

export function defaultIconFiles(): Record<string, Buffer> {
  defaultIcon ??= Object.fromEntries(IMAGE_SCALES.map((s) => [`icon${s}.png`, fs.readFileSync(path.join(ASSETS, `icon${s}.png`))]));
  return defaultIcon;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Refuses anything but a PNG (what Wallet reads), naming the field. */
export function checkPng(field: string, content: Buffer): string | null {
  if (content.length < 24 || !content.subarray(0, 8).equals(PNG_SIGNATURE)) return `${field}: must be a PNG image`;
  if (content.length > 1024 * 1024) return `${field}: must be at most 1 MB`;
  return null;
}

/** Stores (replaces) images of a design; `files` maps e.g. "icon@2x" to the PNG bytes. */
export async function saveDesignImages(db: Db | Knex.Transaction, designId: string, files: Record<string, Buffer>): Promise<void> {
  const rows = Object.entries(files).map(([name, content]) => ({ pass_design_id: designId, name, content, updated_at: new Date() }));
  if (rows.length) await db('pass_design_images').insert(rows).onConflict(['pass_design_id', 'name']).merge(['content', 'updated_at']);
}

/** The design's image files for a .pkpass, the default icon filling in for a missing one. */
export async function designImageFiles(db: Db | Knex.Transaction, designId: string): Promise<Record<string, Buffer>> {
  const rows: { name: string; content: Buffer }[] = await db('pass_design_images').where({ pass_design_id: designId }).select('name', 'content');
  const files: Record<string, Buffer> = Object.fromEntries(rows.map((r) => [`${r.name}.png`, r.content]));
  return files['icon.png'] ? files : { ...defaultIconFiles(), ...files };
}

/** For a file given as --icon FILE: the file and its @2x/@3x siblings next to it, when present. */
export function readImageWithScales(kind: ImageKind, file: string): Record<string, Buffer> {
  const parsed = path.parse(file);
  const out: Record<string, Buffer> = { [kind]: fs.readFileSync(file) };
  for (const scale of ['@2x', '@3x']) {
    const sibling = path.join(parsed.dir, `${parsed.name}${scale}${parsed.ext}`);
    if (fs.existsSync(sibling)) out[`${kind}${scale}`] = fs.readFileSync(sibling);
  }
  return out;
}
