import { actor } from '@troupe/runtime';

/**
 * Only a method that returns a promise without being `async`: the analysis makes the actor async;
 * without it (tsx, plain tsc) the runtime cannot tell, so the call is refused, never run on
 * another kind.
 */
@actor({ maxConcurrency: 4 })
export class Delayer {
  later(value: number): Promise<number> {
    return new Promise((resolve) => setImmediate(() => resolve(value)));
  }
}
