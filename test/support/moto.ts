// Starts a real moto_server on 127.0.0.1 at a free port for tests (moto_server on PATH, else python3 -m
// moto.server). Shared API: keep startMoto stable.
//
// moto does not enforce CloudWatch Logs' PutLogEvents limits, so by default the endpoint handed out is a
// limit-checking proxy in front of moto (cloudwatch-limits-proxy.ts): an over-limit call gets the 400
// InvalidParameterException CloudWatch would answer, and stop() fails the test file if any call broke a limit.
// `directEndpoint` is moto itself, for a test that must bypass the checks.
//
// The port is picked free, closed, then handed to moto: another process can take it in between. Readiness
// therefore means moto itself printed that it is running on that port (an HTTP answer alone could come from
// whoever took it), and a moto that exits or reports the address in use is started again on a fresh port.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { describeViolations, startCloudWatchLimitsProxy, type CloudWatchLimitsProxy } from './cloudwatch-limits-proxy.js';

export interface MotoServer {
  /** For SDK clients: moto behind the CloudWatch limits proxy (moto itself with `checkLimits: false`). */
  endpoint: string;
  /** moto itself, bypassing the limit checks. */
  directEndpoint: string;
  /** The limits proxy: every PutLogEvents call measured, and the limits broken. Undefined with `checkLimits: false`. */
  limits: CloudWatchLimitsProxy | undefined;
  /** Stops the proxy and moto; rejects when a PutLogEvents call broke a CloudWatch limit. */
  stop(): Promise<void>;
}

export interface MotoOptions {
  /** Default true: route `endpoint` through the PutLogEvents limits proxy. */
  checkLimits?: boolean;
  /** Picks the port for each start attempt (a test hands out a taken port first); default: a free loopback port. */
  pickPort?: () => Promise<number>;
}

/** Fresh ports tried before giving up when moto exits or finds its port taken. */
export const MOTO_START_ATTEMPTS = 5;

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

/** moto exited, or said its port is taken: worth another try on another port. */
class MotoLostItsPort extends Error {}

const ADDRESS_IN_USE = /Address already in use|is in use by another program/i;

async function waitUntilReady(endpoint: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const running = `Running on ${endpoint}`;
  for (;;) {
    if (ADDRESS_IN_USE.test(output())) throw new MotoLostItsPort(`moto_server could not bind ${endpoint}: the address is in use`);
    if (child.exitCode !== null || child.signalCode !== null) throw new MotoLostItsPort(`moto_server exited (${child.exitCode ?? child.signalCode}) before it was ready at ${endpoint}`);
    if (output().includes(running)) {
      try {
        const response = await fetch(`${endpoint}/moto-api/`);
        await response.arrayBuffer();
        if (response.status < 500) return;
      } catch {
        // not answering yet
      }
    }
    if (Date.now() > deadline) throw new Error(`moto_server did not answer at ${endpoint} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const NOT_FOUND = "moto_server not found on PATH: pip install 'moto[server]'";

/** Spawns a command; resolves once it is running, rejects with ENOENT-style errors instead of crashing the test. */
function spawnServer(command: string, args: string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
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

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** moto on a port of its own: retried on a fresh port (bounded) when it exits or the port was taken meanwhile. */
async function startMotoProcess(pickPort: () => Promise<number>): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const failures: string[] = [];
  for (let attempt = 1; attempt <= MOTO_START_ATTEMPTS; attempt++) {
    const port = await pickPort();
    const child = await spawnMoto(port);
    let output = '';
    const collect = (data: Buffer) => void (output = (output + data.toString()).slice(-4000));
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    const endpoint = `http://127.0.0.1:${port}`;
    try {
      await waitUntilReady(endpoint, child, () => output, 30_000);
      return { endpoint, stop: () => stopChild(child) };
    } catch (error) {
      child.kill('SIGKILL');
      if (/No module named '?moto/.test(output)) throw new Error(`${NOT_FOUND}\n${output}`, { cause: error });
      if (!(error instanceof MotoLostItsPort)) throw new Error(`${(error as Error).message}\n${output}`, { cause: error });
      failures.push(`attempt ${attempt}, port ${port}: ${error.message}\n${output.trim().split('\n').slice(-5).join('\n')}`);
    }
  }
  throw new Error(`moto_server did not start in ${MOTO_START_ATTEMPTS} attempts, each on a fresh free port (it exited or found the port taken every time):\n${failures.join('\n')}`);
}

export async function startMoto(options: MotoOptions = {}): Promise<MotoServer> {
  const moto = await startMotoProcess(options.pickPort ?? freePort);
  if (options.checkLimits === false) return { endpoint: moto.endpoint, directEndpoint: moto.endpoint, limits: undefined, stop: moto.stop };
  let limits: CloudWatchLimitsProxy;
  try {
    limits = await startCloudWatchLimitsProxy(moto.endpoint);
  } catch (error) {
    await moto.stop();
    throw error;
  }
  return {
    endpoint: limits.endpoint,
    directEndpoint: moto.endpoint,
    limits,
    stop: async () => {
      await limits.stop();
      await moto.stop();
      if (limits.violations.length > 0) {
        throw new Error(
          `${limits.violations.length} CloudWatch Logs limit violation(s) in PutLogEvents calls (moto would have accepted them; real CloudWatch answers 400 InvalidParameterException):\n${describeViolations(limits.violations)}`,
        );
      }
    },
  };
}
