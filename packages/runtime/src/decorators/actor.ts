import type { ActorOptions, CompiledActorInfo, MethodOptions } from '../options.js';
import { callerModule } from './call-site.js';
import { defineActor } from './definition.js';
import { legacyMethodOptions, METHOD_OPTIONS } from './method.js';

type ClassDecorator = <C extends abstract new (...args: never[]) => unknown>(
  target: C,
  context?: ClassDecoratorContext<C>,
) => void;

/**
 * Makes a class an actor: `spawn(Class)` then runs it in a worker thread behind a handle.
 * The kind follows from the class: any async method makes it **async** (calls interleave on one
 * event loop, up to `maxConcurrency`, default 1000); otherwise `maxConcurrency` above 1 makes it
 * **threaded** (that many threads, one replica each); otherwise it is **serial** (one call at a
 * time, in submission order). Works as a TC39 standard decorator and under
 * `experimentalDecorators`.
 *
 * @example
 * @actor({ maxConcurrency: 20 })
 * export class Flags { async download(cc: string): Promise<number> { … } }
 *
 * @param compiled Injected by `@troupe/transformer`; never written by hand.
 */
export function actor(options: ActorOptions = {}, compiled?: CompiledActorInfo): ClassDecorator {
  const site = compiled || options.module ? undefined : callerModule();
  return (target, context) => {
    const fromMetadata = context?.metadata?.[METHOD_OPTIONS] as
      | Map<string, MethodOptions>
      | undefined;
    const methodOptions = fromMetadata ?? legacyMethodOptions(target.prototype as object);
    defineActor(target, options ?? {}, methodOptions, site, compiled);
  };
}
