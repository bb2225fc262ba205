/**
 * Ten questions one might ask of a provider registry. Each reads all million rows, most through a
 * covering index, two through the table itself, so each costs real work (50 to 150 ms on one
 * core); every ORDER BY is total, so every connection returns the same rows in the same order.
 */
export const QUERIES: readonly { title: string; sql: string }[] = [
  {
    title: 'providers per state',
    sql: 'SELECT state, COUNT(*) AS n FROM providers GROUP BY state ORDER BY n DESC, state',
  },
  {
    title: 'top 10 specialties',
    sql: `SELECT t.specialty, c.n
          FROM (SELECT taxonomy, COUNT(*) AS n FROM providers GROUP BY taxonomy) c
          JOIN taxonomies t ON t.code = c.taxonomy ORDER BY c.n DESC, t.specialty LIMIT 10`,
  },
  {
    title: 'gender by credential',
    sql: `SELECT credential, gender, COUNT(*) AS n FROM providers WHERE credential IS NOT NULL
          GROUP BY credential, gender ORDER BY credential, gender`,
  },
  {
    title: 'average years enumerated by classification',
    sql: `SELECT t.classification, ROUND(SUM(c.years) * 1.0 / SUM(c.n), 4) AS years
          FROM (SELECT taxonomy, COUNT(*) AS n, SUM(2025 - enumerated) AS years
                FROM providers GROUP BY taxonomy) c
          JOIN taxonomies t ON t.code = c.taxonomy
          GROUP BY t.classification ORDER BY t.classification`,
  },
  {
    title: 'most common surnames',
    sql: `SELECT last_name, COUNT(*) AS n FROM providers WHERE entity_type = 1
          GROUP BY last_name ORDER BY n DESC, last_name LIMIT 10`,
  },
  {
    title: 'busiest cities',
    sql: `SELECT city, state, COUNT(*) AS n FROM providers
          GROUP BY city, state ORDER BY n DESC, city, state LIMIT 10`,
  },
  {
    title: "surnames ending in 'son' per state",
    // The planner would walk the state index and fetch every row by key; a scan is 10x faster.
    sql: `SELECT state, COUNT(*) AS n FROM providers NOT INDEXED WHERE last_name LIKE '%son'
          GROUP BY state ORDER BY state`,
  },
  {
    title: 'distinct ZIP codes per state',
    sql: 'SELECT state, COUNT(DISTINCT zip) AS zips FROM providers GROUP BY state ORDER BY state',
  },
  {
    title: 'organisations enumerated per five years',
    sql: `SELECT enumerated / 5 * 5 AS since, COUNT(*) AS n FROM providers WHERE entity_type = 2
          GROUP BY since ORDER BY since`,
  },
  {
    title: 'leading specialty of each state',
    sql: `SELECT c.state, t.specialty, c.n FROM (
            SELECT state, taxonomy, COUNT(*) AS n,
                   ROW_NUMBER() OVER (PARTITION BY state ORDER BY COUNT(*) DESC, taxonomy) AS r
            FROM providers GROUP BY state, taxonomy) c
          JOIN taxonomies t ON t.code = c.taxonomy
          WHERE c.r = 1 ORDER BY c.state`,
  },
];

/** What a query actor returns: the rows, and how long the query ran inside the actor. */
export interface QueryResult {
  rows: unknown[];
  ms: number;
}
