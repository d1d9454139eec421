// Throughput and memory of output redaction and of the orchestrator's output path.
// Run: npx tsx bench/redaction.ts
import { createRedactor } from '../src/run/redaction.js';
import { runSteps } from '../src/run/orchestrator.js';
import type { AuditLog } from '../src/ports/audit.js';
import type { StepExecutor } from '../src/ports/executor.js';
import { systemClock } from '../src/ports/clock.js';

const MB = 1024 * 1024;
let peakRss = 0;
const sample = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));

const secrets = Array.from({ length: 20 }, (_, i) => `secret-value-${i}-${'x'.repeat(i)}`);
const redactor = createRedactor({ secrets, patterns: ['AKIA[0-9A-Z]{16}', 'password=\\S+'] });
const line = 'INFO 2026-11-23T00:00:00Z processed batch 1234 of 99999, rows=500, latency=12ms secret-value-3-xxx ok\n';
const chunk = Buffer.from(line.repeat(Math.ceil((64 * 1024) / line.length)));

function benchStream(totalMb: number): void {
  const stream = redactor.stream();
  const chunks = Math.ceil((totalMb * MB) / chunk.length);
  let out = 0;
  const start = performance.now();
  for (let i = 0; i < chunks; i++) {
    out += stream.push(chunk).length;
    if (i % 100 === 0) sample();
  }
  out += stream.end().length;
  const ms = performance.now() - start;
  console.log(`stream redaction: ${((chunks * chunk.length) / MB).toFixed(0)} MB in ${ms.toFixed(0)} ms = ${(((chunks * chunk.length) / MB) / (ms / 1000)).toFixed(1)} MB/s (${chunks} chunks, ${(out / MB).toFixed(0)} MB out, 20 secrets + 2 patterns)`);
}

async function benchOrchestrator(totalMb: number): Promise<void> {
  let auditCalls = 0;
  const audit: AuditLog = {
    location: { kind: 'file', description: 'null audit' },
    runStarted: async () => {},
    targetResolved: async () => {},
    stepStarted: async () => {},
    stepOutput: async () => void auditCalls++,
    stepFinished: async () => {},
    runFinished: async () => {},
    flush: async () => {},
  };
  const chunks = Math.ceil((totalMb * MB) / chunk.length);
  const executor: StepExecutor = {
    prepare: async () => ({ description: 'bench', members: ['localhost'] }),
    runStep: async (_step, context) => {
      for (let i = 0; i < chunks; i++) {
        await context.onOutput('stdout', chunk);
        if (i % 100 === 0) sample();
      }
      return { status: 'succeeded', exitCode: 0, message: 'exited with code 0' };
    },
    dispose: async () => {},
  };
  const start = performance.now();
  const result = await runSteps({
    checked: {
      runbook: { path: 'b.yml', version: 1, title: 'bench', target: 'local', steps: [{ kind: 'shell', index: 0, name: 'Big', run: 'yes', timeoutSeconds: 600, continueOnError: false }] },
      text: '',
      digest: 'sha256:0',
      sqlStatements: new Map(),
    },
    config: { path: 'c', version: 1, targets: {}, databases: {}, policy: { approvals: { required: 1, from: [], allowStale: false }, denyCommands: [], sqlRules: { updateWithoutWhere: 'error', deleteWithoutWhere: 'error', drop: 'error', truncate: 'error', ddl: 'warning' }, redact: [] } },
    executor,
    audit,
    identity: { repository: 'r', pullRequest: null, runbookPath: 'b.yml', runbookDigest: 'sha256:0', runId: 'bench' },
    startedInfo: { approvers: [], target: { name: 'local', description: 'bench', members: [] }, title: 'bench' },
    clock: systemClock,
    redactor,
  });
  const ms = performance.now() - start;
  const step = result.steps[0]!;
  console.log(
    `orchestrator output path: ${(step.outputBytes / MB).toFixed(0)} MB through redaction + audit in ${ms.toFixed(0)} ms = ${((step.outputBytes / MB) / (ms / 1000)).toFixed(1)} MB/s, ${auditCalls} audit calls, tail kept ${step.tail.length} lines (${step.tail.join('\n').length} chars)`,
  );
}

benchStream(200);
await benchOrchestrator(200);
console.log(`peak RSS: ${(peakRss / MB).toFixed(0)} MB`);
