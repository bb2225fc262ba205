import { ACTOR_KINDS, type ActorKind } from '@troupe/contract';

/** The three kinds of actor every sample runs, in the order the table and the chart show them. */
export const KINDS = ACTOR_KINDS;

export type Kind = ActorKind;
