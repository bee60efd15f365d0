import fs from 'node:fs';
import { z } from 'zod';
import type { Db } from '../db/knex';
import { findPassDesignByTitle } from '../services/passDesigns';
import { orgIdSchema } from '../services/organisations';
import { checkPng, IMAGE_KINDS, readImageWithScales, saveDesignImages } from '../wallet/apple/images';
import { Command, command, required, UsageError, withDb } from './commandTable';

/**
 * Pass design images for real passes: `--icon FILE --logo FILE --strip FILE` on `design create` and
 * `design update`. Each FILE is a PNG; its `@2x` / `@3x` siblings next to it (icon@2x.png) are taken too.
 */
export const imageFlags = {
  icon: z.string().min(1, 'must be a PNG file').optional(),
  logo: z.string().min(1, 'must be a PNG file').optional(),
  strip: z.string().min(1, 'must be a PNG file').optional(),
};
export const IMAGE_USAGE = '[--icon <png>] [--logo <png>] [--strip <png>]';

/** Reads and checks the images the flags name (before anything is written), naming the flag at fault. */
export function readImageFlags(f: Partial<Record<(typeof IMAGE_KINDS)[number], string>>): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  for (const kind of IMAGE_KINDS) {
    const file = f[kind];
    if (!file) continue;
    if (!fs.existsSync(file)) throw new UsageError(`--${kind}: no file ${file}`);
    for (const [name, content] of Object.entries(readImageWithScales(kind, file))) {
      const bad = checkPng(`--${kind}`, content);
      if (bad) throw new UsageError(`${bad} (${name === kind ? file : name})`);
      files[name] = content;
    }
  }
  return files;
}

export async function storeImages(db: Db, designId: string, files: Record<string, Buffer>): Promise<string> {
  await saveDesignImages(db, designId, files);
  return Object.keys(files).sort().join(', ');
}

export const WALLET_COMMANDS: Command[] = [
  command(`design update --org <id> --title <title> ${IMAGE_USAGE}`, "sets a pass design's images (PNG; @2x/@3x siblings taken too); a design without an icon uses the default", {
    org: orgIdSchema,
    title: required('the pass design title'),
    ...imageFlags,
  }, async (f, config) => {
    const files = readImageFlags(f);
    if (!Object.keys(files).length) throw new UsageError('give at least one of --icon, --logo, --strip');
    const names = await withDb(config, async (db) => {
      const design = await findPassDesignByTitle(db, f.org, f.title);
      if (!design) throw new UsageError(`--title: no pass design "${f.title}" in organisation "${f.org}"`);
      return storeImages(db, design.id, files);
    });
    console.log(`Updated pass design "${f.title}" of ${f.org}: images ${names}`);
  }),
];
