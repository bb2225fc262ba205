import { actor } from '@troupe/runtime';

@actor({ maxConcurrency: 4 })
export class Pool {
  private count = 0;
  private items: string[] = [];
  private byKey = new Map<string, number>();
  private seen = new Set<string>();
  private config: { retries?: number } = { retries: 1 };
  private stats = { hits: 0 };

  assign(): void {
    this.count = 1; // expect TROUPE101
  }
  compound(): void {
    this.count += 2; // expect TROUPE101
  }
  increment(): void {
    this.count++; // expect TROUPE101
    --this.count; // expect TROUPE101
  }
  remove(): void {
    delete this.config.retries; // expect TROUPE101
  }
  append(x: string): void {
    this.items.push(x); // expect TROUPE101
  }
  remember(k: string): void {
    this.byKey.set(k, 1); // expect TROUPE101
    this.seen.add(k); // expect TROUPE101
    this.seen.clear(); // expect TROUPE101
  }
  throughAlias(x: string): void {
    const items = this.items;
    items.push(x); // expect TROUPE101
  }
  throughDestructuring(): void {
    const { stats } = this;
    stats.hits += 1; // expect TROUPE101
  }
  deep(i: number): void {
    this.stats.hits = 3; // expect TROUPE101
    this.items[i] = 'x'; // expect TROUPE101
  }
  inCallback(): void {
    [1, 2].forEach(() => {
      this.count = 0; // expect TROUPE101
    });
  }
  assignAll(): void {
    Object.assign(this.stats, { hits: 0 }); // expect TROUPE101
  }
  silenced(): void {
    // troupe-ignore TROUPE101: a scratch value, one copy per thread is intended
    this.count = 5;
  }
}
