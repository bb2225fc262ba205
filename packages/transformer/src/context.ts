import type { RuntimeSymbols } from './discover/runtime-symbols';
import type { ts } from './typescript';

/** What every step of the flow (discover → checks → emit) reads: one object, passed everywhere. */
export interface TransformContext {
  /** Absent when ts-jest compiles files one by one: the analysis then reads syntax only. */
  program: ts.Program | undefined;
  checker: ts.TypeChecker | undefined;
  runtime: RuntimeSymbols;
}
