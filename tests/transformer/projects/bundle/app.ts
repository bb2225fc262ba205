import { actor, spawn } from '@troupe/runtime';
import { format } from './format.js';

const GREETING = 'hello';
function shout(text: string): string {
  return `${text.toUpperCase()}!`;
}
class Helper {
  twice(n: number): number {
    return n * 2;
  }
}
let unrelated = 0;

/** Declared beside the code that drives it: the worker gets it from app.troupe.js. */
@actor()
export class Greeter {
  private helper = new Helper();
  greet(name: string): string {
    return format(shout(`${GREETING} ${name}`)) + this.helper.twice(1);
  }
}

console.log('top-level code runs here');
unrelated += 1;
void spawn(Greeter).greet('x');
