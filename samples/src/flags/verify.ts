import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FlagFile } from './images.js';

/**
 * Checks that every flag arrived whole in `dir`: present, of the served size and SHA-256, and,
 * when given, that the sizes the actor returned match. Returns the problems, none when all is well.
 */
export function checkDownloads(dir: string, files: FlagFile[], sizes?: number[]): string[] {
  return files.flatMap((file, i) => {
    const path = join(dir, `${file.code}.png`);
    if (!existsSync(path)) return [`${file.code}: missing from ${dir}`];
    const bytes = readFileSync(path);
    const problems: string[] = [];
    if (bytes.length !== file.png.length) {
      problems.push(`${file.code}: ${bytes.length} bytes on disk, ${file.png.length} served`);
    }
    if (sizes && sizes[i] !== file.png.length) {
      problems.push(
        `${file.code}: the actor returned ${sizes?.[i]} bytes, ${file.png.length} served`,
      );
    }
    if (createHash('sha256').update(bytes).digest('hex') !== file.sha256) {
      problems.push(`${file.code}: SHA-256 differs from the served file`);
    }
    return problems;
  });
}
