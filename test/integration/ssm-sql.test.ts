import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSsmExecutor } from '../../src/adapters/aws/ssm-executor.js';
import { loadSqlParser } from '../../src/runbook/lint-sql.js';
import type { SqlStep } from '../../src/runbook/model.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { startSsmSimulator, type SsmSimulator } from '../support/ssm-simulator/server.js';

const instance = 'i-0db0000000000000a';
let pg: TestPostgres;
let sim: SsmSimulator;
let ssm: SSMClient;

beforeAll(async () => {
  await loadSqlParser(); // the composition root loads it once before rendering SQL steps
  pg = await startPostgres();
  // The simulated instance has the connection URL in its environment, as a real DB host would.
  sim = await startSsmSimulator({ instances: [{ id: instance, env: { ORDERS_DB_URL: pg.url } }] });
  ssm = new SSMClient({
    region: 'us-east-1', endpoint: sim.endpoint,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
  });
}, 120_000);
afterAll(async () => {
  ssm?.destroy();
  await sim?.close();
  await pg?.stop();
});

it('runs an SQL step through the real step script and psql against PostgreSQL on the instance', async () => {
  const step: SqlStep = {
    kind: 'sql', name: 'fix orders', index: 0, timeoutSeconds: 60, continueOnError: false,
    database: 'orders', transaction: true,
    sql: "create table if not exists ssm_t(id int); insert into ssm_t values (1),(2); select 'answer=' || count(*) from ssm_t;",
  };
  const executor = createSsmExecutor({
    ssm,
    target: { kind: 'ssm', name: 'db-host', instanceIds: [instance], maxConcurrency: '1', maxErrors: '0' },
  });
  let out = '';
  const result = await executor.runStep(step, {
    runId: 'r', signal: new AbortController().signal,
    database: { name: 'orders', engine: 'postgres', target: 'db-host', urlEnv: 'ORDERS_DB_URL' },
    onOutput: async (_stream, chunk) => {
      out += Buffer.from(chunk).toString('utf8');
    },
  });
  expect(result.status, out).toBe('succeeded');
  expect(out).toMatch(/answer=2/);
  expect(sim.violations).toEqual([]);
});
