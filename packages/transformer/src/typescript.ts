/**
 * The one TypeScript every module of the transformer uses: Troupe's own pinned 6.0 compiler API
 * (the `typescript6` alias), never the user's `typescript`. npm's default TypeScript is 7, which
 * has no JavaScript compiler API, and any other version would number its syntax kinds and flags
 * differently: the analysis must not depend on what the user installed.
 */
import * as ts from 'typescript6';

export { ts };
