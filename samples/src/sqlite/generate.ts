import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { pick, seededRandom } from '../common/random.js';
import { CREDENTIALS, FIRST_NAMES, LAST_NAMES, PLACES, TAXONOMIES } from './registry.js';

/** Bump when the schema or the draws change, so a stale cached file is not reused. */
const VERSION = 2;
const SEED = 1234;
const FIRST_NPI = 1_000_000_000;

const SCHEMA = `
CREATE TABLE taxonomies (
  code TEXT PRIMARY KEY,
  specialty TEXT NOT NULL,
  classification TEXT NOT NULL
);
CREATE TABLE providers (
  npi INTEGER PRIMARY KEY,
  entity_type INTEGER NOT NULL,  -- 1 a person, 2 an organisation
  last_name TEXT NOT NULL,       -- an organisation's name for entity_type 2
  first_name TEXT,
  gender TEXT,
  credential TEXT,
  taxonomy TEXT NOT NULL REFERENCES taxonomies(code),
  city TEXT NOT NULL,
  state TEXT NOT NULL,
  zip TEXT NOT NULL,
  enumerated INTEGER NOT NULL    -- year the NPI was issued
);`;

/** Built after the rows are in (faster than maintaining them row by row); each serves a query. */
const INDEXES = `
CREATE INDEX providers_state_zip ON providers(state, zip);
CREATE INDEX providers_state_taxonomy ON providers(state, taxonomy);
CREATE INDEX providers_taxonomy_enumerated ON providers(taxonomy, enumerated);
CREATE INDEX providers_credential_gender ON providers(credential, gender);
CREATE INDEX providers_last_name ON providers(last_name, entity_type);
CREATE INDEX providers_city_state ON providers(city, state);`;

export interface Registry {
  path: string;
  rows: number;
  /** Milliseconds spent generating; 0 when the cached file was used. */
  generatedMs: number;
}

/** Where the registry of `rows` rows is cached in `dataDir`. */
export function registryPath(dataDir: string, rows: number): string {
  return join(dataDir, `providers-v${VERSION}-${rows}.sqlite`);
}

/**
 * Returns the registry of `rows` providers, generating it on first use: one transaction and one
 * prepared statement, no journal, indexes built at the end. The file is written under a temporary
 * name and renamed, so an interrupted run never leaves half a file behind.
 */
export function ensureRegistry(dataDir: string, rows: number): Registry {
  const path = registryPath(dataDir, rows);
  if (existsSync(path)) return { path, rows, generatedMs: 0 };
  const startedAt = performance.now();
  mkdirSync(dirname(path), { recursive: true });
  // Named per process, so two runs generating at once do not write into one file.
  const partial = `${path}.${process.pid}.partial`;
  rmSync(partial, { force: true });
  const db = new Database(partial);
  try {
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.exec(SCHEMA);
    const addTaxonomy = db.prepare('INSERT INTO taxonomies VALUES (?, ?, ?)');
    const addProvider = db.prepare(
      'INSERT INTO providers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    db.transaction(() => {
      for (const taxonomy of TAXONOMIES) addTaxonomy.run(...taxonomy);
      const random = seededRandom(SEED);
      // Squaring a uniform draw favours the first entries: big states, common names.
      const skewed = <T>(items: readonly T[]) => items[Math.floor(random() ** 2 * items.length)];
      for (let i = 0; i < rows; i++) {
        const organisation = random() < 0.15;
        const [state, cities] = skewed(PLACES);
        const taxonomy = organisation
          ? TAXONOMIES[18 + Math.floor(random() * 6)]
          : skewed(TAXONOMIES.slice(0, 18));
        const lastName = skewed(LAST_NAMES);
        addProvider.run(
          FIRST_NPI + i,
          organisation ? 2 : 1,
          organisation ? `${lastName} ${taxonomy[1]}` : lastName,
          organisation ? null : pick(random, FIRST_NAMES),
          organisation ? null : random() < 0.52 ? 'F' : 'M',
          organisation ? null : pick(random, CREDENTIALS),
          taxonomy[0],
          skewed(cities),
          state,
          String(10000 + Math.floor(random() * 89999)).padStart(5, '0'),
          1995 + Math.floor(random() * 30),
        );
      }
    })();
    db.exec(INDEXES);
    db.exec('ANALYZE');
  } finally {
    db.close();
  }
  renameSync(partial, path);
  return { path, rows, generatedMs: performance.now() - startedAt };
}
