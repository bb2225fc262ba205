import { actor } from '@troupe/runtime';

@actor()
export class Weird {
  then(): void {} // expect TROUPE108
  ready(): boolean {
    // ^ expect TROUPE108 (on the line above)
    return true;
  }
}
