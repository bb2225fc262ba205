import { availableParallelism } from 'node:os';
import { actor } from '@troupe/runtime';

@actor({ maxConcurrency: availableParallelism() }) // expect TROUPE109
export class Sized {
  work(): number {
    return 1;
  }
}
