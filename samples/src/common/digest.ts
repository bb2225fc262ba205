import { createHash } from 'node:crypto';

/** A short fingerprint of a run's results, so kinds can be compared without printing them. */
export function digestOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}
