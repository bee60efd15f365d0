import yazl from 'yazl';

/**
 * A zip of stored (uncompressed) entries: what a .pkpass needs. PNGs are already compressed and
 * pass.json is small, so deflate would save little and cost CPU per download.
 */
export function storedZip(files: Record<string, Buffer>, at = new Date()): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, data] of Object.entries(files)) zip.addBuffer(data, name, { compress: false, mtime: at });
  zip.end();
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    zip.outputStream.on('data', (b: Buffer) => parts.push(b)).on('end', () => resolve(Buffer.concat(parts))).on('error', reject);
  });
}
