import { actor } from '@troupe/runtime';
import { bump } from './counter-lib.js';

let calls = 0; // expect TROUPE102
const cache = new Map<string, number>(); // expect TROUPE102
const LIMITS = [1, 2, 3];

@actor({ maxConcurrency: 2 })
export class Tally {
  tally(k: string): number {
    calls += 1;
    cache.set(k, calls);
    return bump() + LIMITS.length;
  }
}
