import { seededRandom } from '../common/random.js';

/** The seed's sleep example: 10 tasks of 1 to 3 s each. */
export const TASKS = 10;
const SEED = 2022;

/**
 * The sleep durations in milliseconds, 1–3 s drawn from a fixed seed and multiplied by `scale`:
 * the showcase uses 0.1 (100–300 ms) so the serial run takes about 2 s, not 20.
 */
export function sleepDurations(scale: number): number[] {
  const random = seededRandom(SEED);
  return Array.from({ length: TASKS }, () => Math.round((1000 + random() * 2000) * scale));
}
