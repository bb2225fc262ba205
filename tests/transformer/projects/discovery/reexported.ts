import { actor } from './barrel.js';

class Base {
  describe(): string {
    return 'base';
  }
  load(): Promise<string> {
    return Promise.resolve('loaded');
  }
}

/**
 * Async through a declared Promise return type (inherited), an inferred one and the keyword; found
 * through a re-export.
 */
@actor()
export class Fetcher extends Base {
  async get(url: string): Promise<number> {
    return url.length;
  }
  later() {
    return new Promise<number>((resolve) => setTimeout(() => resolve(1), 1));
  }
  size(): number {
    return 1;
  }
  run = async (): Promise<void> => {};
}
