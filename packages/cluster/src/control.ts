import type { ActorInfo } from '@troupe/runtime/transport';

/** The spawn options that travel to a node (plain data: the rest is the driver's). */
export interface SentOptions {
  maxConcurrency?: number;
  maxPendingCalls?: number;
  maxRestarts?: number;
  maxTaskRetries?: number;
  resourceLimits?: Record<string, number>;
  name?: string;
  namespace?: string;
}

/** A request on a node's control subject (`troupe.<c>.n.<node>.ctl`). */
export type ControlRequest =
  | {
      op: 'spawn';
      actorId: string;
      /** Which start of the actor this is (1 for the first; more after moves). */
      incarnation: number;
      /** `exportName@hash` of the class. */
      classKey: string;
      info: ActorInfo;
      /** Threads its kind takes (a threaded actor's pool, groups included; 1 otherwise). */
      threads: number;
      options: SentOptions;
      /** Constructor arguments, encoded (handles as descriptors). */
      args: unknown[];
      /** The name's registry key, already claimed by the driver. */
      nameKey?: string;
      owner: string;
      /** It moves when its node dies: its callers wait for its next incarnation. */
      restartable?: boolean;
      /** `lifetime: 'detached'`: moves left to it (-1: no limit); any node may restart it. */
      detached?: { restartsLeft: number };
    }
  | { op: 'shutdown'; actorId: string; timeoutMs?: number }
  | { op: 'kill'; actorId: string; noRestart: boolean };

export type ControlReply =
  | { ok: true; subject: string; incarnation: number }
  | { ok: false; error: { name: string; message: string } };

/** How long a driver waits for a node to answer a control request (ms). */
export const CONTROL_TIMEOUT_MS = 30_000;
