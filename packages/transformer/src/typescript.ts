/**
 * The one TypeScript every module of the transformer uses: Troupe's own pinned 6.0 compiler API
 * (its `typescript@~6.0.3` dependency), never whichever compiler the user runs. npm's default
 * TypeScript is 7, which has no JavaScript compiler API, and any other version numbers its syntax
 * kinds and flags differently: the analysis must not depend on what the user installed.
 *
 * The dependency is the plain name, not an alias such as `typescript6`: every TypeScript package
 * ships a `tsc` bin, and an alias's would be linked as the project's own `tsc`, hiding the user's
 * TypeScript 7. Under the plain name npm nests ours below @troupe/transformer whenever the project
 * has another version, and shares the project's copy only when that one is a 6.0 as well.
 */
import * as ts from 'typescript';

if (ts.versionMajorMinor !== '6.0') {
  throw new Error(
    `@troupe/transformer analyses with TypeScript 6.0 but loaded TypeScript ${ts.version} from ` +
      `${require.resolve('typescript')}. Reinstall it (npm install) so that npm gives it its own ` +
      'typescript@~6.0.3, and check that no override replaces that dependency.',
  );
}

export { ts };
