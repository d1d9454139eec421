// Validates and plans 1,000 generated runbooks (shell and SQL steps, windows, approvals, some with lint hits):
// checkRunbook, planRunbook and renderPlanComment for each, as the PR phase does, and prints total time, time
// per runbook and peak memory (maxRSS from the OS). Run: npx tsx bench/validate.ts
import { readFileSync } from 'node:fs';
import { loadRepoConfig } from '../src/config/load-repo-config.js';
import { checkRunbook } from '../src/runbook/check.js';
import { planRunbook } from '../src/plan/plan.js';
import { renderPlanComment } from '../src/render/plan-comment.js';

const COUNT = 1000;
const config = loadRepoConfig({ path: '.github/opsgate.yml', bytes: readFileSync('.github/opsgate.yml') }).value!;

function runbookText(i: number): string {
  const steps: string[] = [];
  for (let s = 0; s < 2 + (i % 6); s++) {
    if (s % 2 === 0) steps.push(`  - name: shell ${s}\n    run: |\n      echo "batch ${i}-${s}"\n      ls -la /tmp | head -n ${s + 1}\n    timeout: ${1 + (s % 5)}m`);
    else steps.push(`  - name: sql ${s}\n    sql: |\n      SELECT count(*) FROM invoices WHERE id > ${i};\n      WITH u AS (UPDATE invoices SET note = 'r${i}é' WHERE id = ${s} RETURNING id) SELECT count(*) FROM u${i % 50 === 0 ? ';\n      DELETE FROM invoices' : ''};\n    database: billing\n    expect:\n      max-affected-rows: ${i + s}`);
  }
  const window = i % 3 === 0 ? 'window:\n  not-before: 2026-11-23T10:00:00+09:00\n  not-after: 2026-11-23T12:00:00+09:00\n' : '';
  return `version: 1\ntitle: Generated runbook ${i}\nticket: OPS-${i}\ntarget: dev-box\n${window}approvals:\n  required: ${1 + (i % 2)}\n  from: [alice, "@acme/dba"]\nsteps:\n${steps.join('\n')}\n`;
}

const files = Array.from({ length: COUNT }, (_, i) => Buffer.from(runbookText(i), 'utf8'));
const bytes = files.reduce((n, b) => n + b.length, 0);

async function validateAndPlan(path: string, source: Buffer): Promise<{ valid: boolean; steps: number; chars: number }> {
  const check = await checkRunbook({ path, bytes: source }, config);
  const plan = planRunbook(check, config);
  const markdown = renderPlanComment({ headSha: 'bench', runbooks: [plan], configDiagnostics: [], configPath: config.path });
  return { valid: plan.status === 'valid', steps: plan.steps.length, chars: markdown.length };
}

// The first call loads the WASM parser and compiles the schemas; it is reported separately.
const w0 = performance.now();
await validateAndPlan('warmup.yml', files[0]!);
const warm = performance.now() - w0;
let rejected = 0;
let steps = 0;
let markdownChars = 0;
const t0 = performance.now();
for (let i = 0; i < COUNT; i++) {
  const r = await validateAndPlan(`runbooks/gen-${i}.yml`, files[i]!);
  if (!r.valid) rejected++;
  steps += r.steps;
  markdownChars += r.chars;
}
const total = performance.now() - t0;
const mib = (b: number) => (b / 1024 / 1024).toFixed(1);
console.log(`validate + plan: ${COUNT} runbooks, ${mib(bytes)} MiB of YAML, ${steps} steps planned, ${rejected} rejected by lint as intended, ${mib(markdownChars)} MiB of plan markdown`);
console.log(`first call (parser load + schema compile): ${warm.toFixed(0)} ms`);
console.log(`total: ${total.toFixed(0)} ms, per runbook: ${(total / COUNT).toFixed(2)} ms`);
// maxRSS is in KiB: the peak resident set of this process over its whole life.
console.log(`peak RSS (process.resourceUsage().maxRSS): ${mib(process.resourceUsage().maxRSS * 1024)} MiB`);
