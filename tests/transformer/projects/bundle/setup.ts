import { actor } from '@troupe/runtime';

let config: { prefix: string } | undefined;
let base = 1;

@actor()
export class Reader {
  read(): string {
    return config?.prefix ?? ''; // expect TROUPE107
  }
}

@actor()
export class Adder {
  add(n: number): number {
    return n + base; // expect TROUPE107
  }
}

function init(): void {
  config = { prefix: '>' };
}
init();
base = 10;
