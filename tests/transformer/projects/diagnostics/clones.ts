import { actor } from '@troupe/runtime';

class Point {
  constructor(public x: number) {}
  norm(): number {
    return Math.abs(this.x);
  }
}

@actor({ maxConcurrency: 1 })
export class Geometry {
  constructor(onReady: () => void) {} // expect TROUPE106
  move(p: Point): void {} // expect TROUPE106
  key(): symbol {
    // ^ expect TROUPE106 (on the line above)
    return Symbol('k');
  }
  async later(): Promise<() => void> {
    // ^ expect TROUPE106 (on the line above)
    return () => {};
  }
  /** Streams: the values are cloned one by one, the generator never is. */
  async *count(to: number): AsyncGenerator<number> {
    for (let i = 0; i < to; i++) yield i;
  }
  async *points(): AsyncGenerator<Point> {
    // ^ expect TROUPE106 (on the line above)
    yield new Point(1);
  }
  /** A sync generator streams too: its values are cloned one by one. */
  *ids(to: number): Generator<number> {
    for (let i = 0; i < to; i++) yield i;
  }
  *shapes(): Generator<Point> {
    // ^ expect TROUPE106 (on the line above)
    yield new Point(2);
  }
}
