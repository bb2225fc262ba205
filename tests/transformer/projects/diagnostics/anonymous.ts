import { actor } from '@troupe/runtime';

@actor() // expect TROUPE105
export default class {
  go(): void {}
}
