import { afterAll, describe, expect, test } from '@jest/globals';
import { SerializationError, shutdown, spawn } from '@troupe/runtime';
import { Mirror } from './fixtures/dist/chaos.js';

afterAll(() => shutdown());

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}

  norm(): number {
    return Math.hypot(this.x, this.y);
  }
}

describe('bad input', () => {
  test('an object with a non-cloneable property is refused, naming actor, method and argument', async () => {
    const mirror = spawn(Mirror, { name: 'mirror' });
    const error = await mirror
      .echo({ id: 1, onDone: () => {} } as never)
      .catch((e: SerializationError) => e);
    expect(error).toBeInstanceOf(SerializationError);
    expect(error.message).toMatch(/Actor mirror, method 'echo': argument 0 cannot be sent/);
    expect(await mirror.count()).toBe(0);
    expect(await mirror.echo(1)).toBe(1);
  });

  test('a circular object arrives intact', async () => {
    const mirror = spawn(Mirror);
    const node: { name: string; self?: unknown; list: unknown[] } = { name: 'loop', list: [] };
    node.self = node;
    node.list.push(node);
    const back = await mirror.echo(node);
    expect(back.name).toBe('loop');
    expect(back.self).toBe(back);
    expect(back.list[0]).toBe(back);
  });

  test('a class instance arrives as a plain object with its fields', async () => {
    const mirror = spawn(Mirror);
    const back = await mirror.echo(new Point(3, 4));
    expect(back).toEqual({ x: 3, y: 4 });
    expect(back).not.toBeInstanceOf(Point);
    expect((back as { norm?: unknown }).norm).toBeUndefined();
  });

  test('a 100 MB payload arrives intact', async () => {
    const mirror = spawn(Mirror);
    const size = 100 * 1024 * 1024;
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i += 4096) bytes[i] = (i / 4096) % 251;
    const back = await mirror.echo(bytes);
    expect(back.byteLength).toBe(size);
    let same = true;
    for (let i = 0; i < size; i += 4096) same &&= back[i] === (i / 4096) % 251;
    expect(same).toBe(true);
    expect(await mirror.count()).toBe(1);
  });
});
