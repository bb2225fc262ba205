import { actor as a } from '@troupe/runtime';

/** A serial actor found through a renamed import. */
@a()
export class Renamed {
  private n = 0;
  incr(by: number): number {
    this.n += by;
    return this.n;
  }
  private hidden(): void {}
  static create(): Renamed {
    return new Renamed();
  }
}
