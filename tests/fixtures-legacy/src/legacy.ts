import 'reflect-metadata';
import { actor, method, type SharedCounter } from '@troupe/runtime';

/** The same three kinds, under `experimentalDecorators` with reflect-metadata. */
@actor()
export class LegacyCounter {
  private n = 0;

  @method()
  add(by: number): number {
    this.n += by;
    return this.n;
  }
}

@actor({ maxConcurrency: 4 })
export class LegacyAsync {
  private inFlight = 0;
  private peak = 0;

  /**
   * Not `async`: its declared Promise return type reaches reflect-metadata because the method is
   * decorated (TypeScript emits `design:returntype` for decorated members only).
   */
  @method()
  wait(ms: number): Promise<number> {
    this.inFlight++;
    this.peak = Math.max(this.peak, this.inFlight);
    return new Promise((resolve) =>
      setTimeout(() => {
        this.inFlight--;
        resolve(ms);
      }, ms),
    );
  }

  @method()
  peakInFlight(): number {
    return this.peak;
  }
}

@actor({ maxConcurrency: 3 })
export class LegacyThreaded {
  constructor(private readonly hits: SharedCounter) {}

  @method()
  hit(): number {
    return this.hits.increment();
  }
}
