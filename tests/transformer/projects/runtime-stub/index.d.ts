// The runtime's public API as the fixtures see it: the analysis tests do not wait for the runtime
// build. The fixture that runs under node compiles against the real @troupe/runtime.
export type ActorKind = 'serial' | 'async' | 'threaded';
export interface ActorOptions {
  maxConcurrency?: number;
  concurrencyGroups?: Record<string, number>;
  kind?: ActorKind;
}
export interface CompiledActorInfo {
  module: string;
  exportName: string;
  kind: ActorKind;
  methods: [string, boolean][];
  bundle?: string;
}
export interface MethodOptions {
  async?: boolean;
  threadSafe?: boolean;
  concurrencyGroup?: string;
}
// biome-ignore lint: decorators for both modes
export declare function actor(options?: ActorOptions, compiled?: CompiledActorInfo): any;
// biome-ignore lint: decorators for both modes
export declare function method(options?: MethodOptions): any;
// biome-ignore lint: decorators for both modes
export declare function perThread(): any;
export declare class SharedCounter {
  constructor(initial?: number);
  add(by: number): number;
  get(): number;
}
export declare class Mutex {
  lock(): void;
  unlock(): void;
}
export declare function sharedArray(
  type: Int32ArrayConstructor,
  length: number,
): Int32Array<SharedArrayBuffer>;
export type ActorHandle<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R
    ? (...args: A) => Promise<Awaited<R>>
    : never;
};
export declare function spawn<T>(
  cls: new (...args: never[]) => T,
  options?: { args?: unknown[]; maxConcurrency?: number },
): ActorHandle<T>;
