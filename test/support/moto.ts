// Starts a real moto_server on 127.0.0.1 at a free port for tests (moto_server on PATH, else python3 -m
// moto.server). Shared API: keep startMoto stable.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export interface MotoServer {
  endpoint: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilReady(endpoint: string, child: { exitCode: number | null }, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with code ${child.exitCode} before it was ready`);
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`moto_server did not answer at ${endpoint} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const NOT_FOUND = "moto_server not found on PATH: pip install 'moto[server]'";

/** Spawns a command; resolves once it is running, rejects with ENOENT-style errors instead of crashing the test. */
function spawnServer(command: string, args: string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.once('error', reject);
    child.once('spawn', () => resolve(child));
  });
}

/** moto_server on PATH, else `python3 -m moto.server` (pip installs the module without the script in some setups). */
async function spawnMoto(port: number): Promise<ChildProcess> {
  const args = ['-H', '127.0.0.1', '-p', String(port)];
  try {
    return await spawnServer('moto_server', args);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  try {
    const child = await spawnServer('python3', ['-m', 'moto.server', ...args]);
    child.on('error', () => undefined);
    return child;
  } catch (error) {
    throw new Error(NOT_FOUND, { cause: error });
  }
}

export async function startMoto(): Promise<MotoServer> {
  const port = await freePort();
  const child = await spawnMoto(port);
  let stderr = '';
  child.stderr!.on('data', (data: Buffer) => {
    stderr = (stderr + data.toString()).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(endpoint, child, 30_000);
  } catch (error) {
    child.kill('SIGKILL');
    const missing = /No module named '?moto/.test(stderr) ? `${NOT_FOUND}\n` : '';
    throw new Error(`${missing}${(error as Error).message}\n${stderr}`, { cause: error });
  }
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
