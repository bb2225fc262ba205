import { actor } from '@troupe/runtime';

@actor({ maxConcurrency: 10 })
export class Mixed {
  async fetch(): Promise<number> {
    return 1;
  }
  parse(text: string): number {
    // ^ expect TROUPE103 (on the line above)
    return text.length;
  }
}
