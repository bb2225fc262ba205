import { actor } from '@troupe/runtime';

@actor()
export class Lazy {
  later() {
    return Promise.resolve(1);
  }
}

test('ts-jest output carries the compiled info, decided by the type checker', () => {
  const seen = (globalThis as { troupeSeen?: { name: string; compiled: unknown }[] }).troupeSeen;
  console.log(`SEEN ${JSON.stringify(seen)}`);
  expect(seen?.[0]).toMatchObject({
    name: 'Lazy',
    compiled: { exportName: 'Lazy', kind: 'async', methods: [['later', true]] },
  });
});
