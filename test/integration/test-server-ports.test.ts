// Port races of the local servers: a port found free can be taken by another process before the server binds
// it (three test workers start servers at once). moto and PostgreSQL then start again on a fresh port, a
// bounded number of times, and never mistake whoever holds the port for themselves. The "other process" here
// is a plain HTTP server holding the first port handed out.
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateLogGroupCommand, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_POSTGRES_START_ATTEMPTS, startDemoPostgres } from '../../src/adapters/local/demo-postgres.js';
import { logsClient } from '../support/audit-fixtures.js';
import { MOTO_START_ATTEMPTS, startMoto } from '../support/moto.js';

let squatter: Server;
let taken = 0;
let squatterRequests = 0;

beforeAll(async () => {
  // Answers every request, as another test's stand-in on that port would.
  squatter = createServer((_req, res) => {
    squatterRequests += 1;
    res.end('not moto');
  });
  await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
  taken = (squatter.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => squatter.close(() => resolve())));

/** Hands out the taken port first, then ports the OS says are free. */
function takenFirst(times = 1): { pick: () => Promise<number>; picked: number[] } {
  const picked: number[] = [];
  return {
    picked,
    pick: async () => {
      const port =
        picked.length < times
          ? taken
          : await new Promise<number>((resolve) => {
              const probe = createServer();
              probe.listen(0, '127.0.0.1', () => {
                const free = (probe.address() as AddressInfo).port;
                probe.close(() => resolve(free));
              });
            });
      picked.push(port);
      return port;
    },
  };
}

describe('startMoto', () => {
  it('starts again on another port when its port was taken, and talks to moto, not to the squatter', async () => {
    const ports = takenFirst();
    squatterRequests = 0;
    const moto = await startMoto({ pickPort: ports.pick });
    try {
      expect(ports.picked.length).toBe(2);
      expect(new URL(moto.directEndpoint).port).toBe(String(ports.picked[1]));
      const client = logsClient(moto.endpoint);
      await client.send(new CreateLogGroupCommand({ logGroupName: '/ports' }));
      expect((await client.send(new DescribeLogGroupsCommand({}))).logGroups?.map((g) => g.logGroupName)).toEqual(['/ports']);
      expect(squatterRequests).toBe(0);
    } finally {
      await moto.stop();
    }
  }, 60_000);

  it(`gives up after ${MOTO_START_ATTEMPTS} taken ports with an error that says so`, async () => {
    const ports = takenFirst(Infinity);
    await expect(startMoto({ pickPort: ports.pick })).rejects.toThrow(new RegExp(`did not start in ${MOTO_START_ATTEMPTS} attempts.*port ${taken}: moto_server could not bind .*address is in use`, 's'));
    expect(ports.picked).toEqual(Array(MOTO_START_ATTEMPTS).fill(taken));
  }, 120_000);
});

describe('startDemoPostgres', () => {
  it('starts again on another port when its port was taken meanwhile', async () => {
    const ports = takenFirst();
    const pg = await startDemoPostgres(undefined, { pickPort: ports.pick });
    try {
      expect(ports.picked.length).toBe(2);
      expect(new URL(pg.url).port).toBe(String(ports.picked[1]));
      expect(execFileSync('psql', ['-X', '-At', '-d', pg.url, '-c', 'SELECT 41 + 1'], { encoding: 'utf8' }).trim()).toBe('42');
    } finally {
      await pg.stop();
    }
  }, 120_000);

  it(`gives up after ${DEMO_POSTGRES_START_ATTEMPTS} taken ports with an error that says so`, async () => {
    const ports = takenFirst(Infinity);
    await expect(startDemoPostgres(undefined, { pickPort: ports.pick })).rejects.toThrow(
      new RegExp(`could not start the demo PostgreSQL server: the server exited at start on ${DEMO_POSTGRES_START_ATTEMPTS} fresh ports in a row \\(port ${taken}: the address is in use; `),
    );
    expect(ports.picked).toEqual(Array(DEMO_POSTGRES_START_ATTEMPTS).fill(taken));
  }, 120_000);
});
