import { actor, spawn } from '@troupe/runtime';

class Plain {
  run(): number {
    return 1;
  }
}

@actor()
export class Real {
  run(): number {
    return 1;
  }
}

export const wrong = () => spawn(Plain); // expect TROUPE110
export const right = () => spawn(Real);
