// Figures for the SQL lint and the local executor: lint throughput on a large multi-statement script, and
// streaming 200 MB of step output through an awaited listener (time, chunks, peak RSS).
// Run: npx tsx bench/local-executor-sql.ts
import { performance } from 'node:perf_hooks';
import { createLocalExecutor } from '../src/adapters/local/local-executor.js';
import { lintSql } from '../src/runbook/lint-sql.js';
import type { SqlRules } from '../src/runbook/model.js';

const rules: SqlRules = { updateWithoutWhere: 'error', deleteWithoutWhere: 'error', drop: 'warning', truncate: 'error', ddl: 'warning' };
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
const mb = (n: number) => (n / 1024 / 1024).toFixed(1);

const statements = 10_000;
const sql = Array.from({ length: statements }, (_, i) => `UPDATE accounts SET note = 'row ${i} é' WHERE id = ${i};`).join('\n');
const step = { kind: 'sql' as const, name: 'b', index: 0, timeoutSeconds: 60, continueOnError: false, sql, database: 'db', transaction: true };
await lintSql({ step: { ...step, sql: 'SELECT 1' }, engine: 'postgres', rules, file: 'x', locate: () => ({ start: { line: 1, column: 1 }, end: { line: 1, column: 1 } }) });
let t = performance.now();
const linted = await lintSql({ step, engine: 'postgres', rules, file: 'x', locate: () => ({ start: { line: 1, column: 1 }, end: { line: 1, column: 1 } }) });
console.log(`lintSql: ${linted.statements.length} statements, ${mb(Buffer.byteLength(sql))} MB in ${(performance.now() - t).toFixed(0)} ms`);

const bytes = 200 * 1024 * 1024;
let received = 0;
let chunks = 0;
const rssBefore = process.memoryUsage().rss;
t = performance.now();
const result = await createLocalExecutor().runStep(
  { kind: 'shell', name: 'out', index: 0, timeoutSeconds: 120, continueOnError: false, run: `head -c ${bytes} /dev/zero` },
  {
    runId: 'bench',
    signal: new AbortController().signal,
    onOutput: async (_s, c) => {
      received += c.length;
      chunks += 1;
      await Promise.resolve();
    },
  },
);
const seconds = (performance.now() - t) / 1000;
clearInterval(sampler);
console.log(`local executor: ${result.status}, ${mb(received)} MB in ${chunks} chunks, ${seconds.toFixed(2)} s (${(received / 1024 / 1024 / seconds).toFixed(0)} MB/s)`);
console.log(`RSS before ${mb(rssBefore)} MB, peak ${mb(peakRss)} MB`);
