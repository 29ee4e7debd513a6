import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';

/**
 * Where uploaded image data lives: one file per image id in NOVAFLOW_IMAGE_STORE (default
 * .data/images), Glance's file store. Compute nodes that boot images for real (the qemu driver) read
 * it as their image cache; on several machines it is a shared volume.
 */
export function imageStoreDir(): string {
  return process.env.NOVAFLOW_IMAGE_STORE ?? path.resolve('.data', 'images');
}

export interface StoredImage {
  size: number;
  /** Glance's `checksum` (MD5) and `os_hash_value` (SHA-512) of the data. */
  checksum: string;
  hash: string;
}

/** Streams an upload into the store (written aside, then renamed: a half upload never shows). */
export async function storeImageData(id: string, body: Readable): Promise<StoredImage> {
  const dir = imageStoreDir();
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, id);
  const partial = `${file}.${process.pid}.partial`;
  const md5 = createHash('md5');
  const sha512 = createHash('sha512');
  let size = 0;
  const out = fs.createWriteStream(partial);
  try {
    for await (const chunk of body) {
      const b = chunk as Buffer;
      size += b.length;
      md5.update(b);
      sha512.update(b);
      if (!out.write(b)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
    await new Promise<void>((resolve, reject) =>
      out.end((err?: Error | null) => (err ? reject(err) : resolve())),
    );
    fs.renameSync(partial, file);
  } catch (err) {
    out.destroy();
    fs.rmSync(partial, { force: true });
    throw err;
  }
  return { size, checksum: md5.digest('hex'), hash: sha512.digest('hex') };
}

/** The stored data's path, if the image has data here. */
export function imageDataPath(id: string): string | undefined {
  const file = path.join(imageStoreDir(), id);
  return fs.existsSync(file) ? file : undefined;
}

export function removeImageData(id: string): void {
  fs.rmSync(path.join(imageStoreDir(), id), { force: true });
}
