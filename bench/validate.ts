// Validates 1,000 generated runbooks (shell and SQL steps, windows, approvals, some with lint hits) with
// checkRunbook and prints total time, time per runbook and peak memory. Run: npx tsx bench/validate.ts
import { readFileSync } from 'node:fs';
import { loadRepoConfig } from '../src/config/load-repo-config.js';
import { checkRunbook } from '../src/runbook/check.js';

const COUNT = 1000;
const config = loadRepoConfig({ path: '.github/opsgate.yml', text: readFileSync('.github/opsgate.yml', 'utf8') }).value!;

function runbookText(i: number): string {
  const steps: string[] = [];
  for (let s = 0; s < 2 + (i % 6); s++) {
    if (s % 2 === 0) steps.push(`  - name: shell ${s}\n    run: |\n      echo "batch ${i}-${s}"\n      ls -la /tmp | head -n ${s + 1}\n    timeout: ${1 + (s % 5)}m`);
    else steps.push(`  - name: sql ${s}\n    sql: |\n      SELECT count(*) FROM invoices WHERE id > ${i};\n      UPDATE invoices SET note = 'r${i}é' WHERE id = ${s}${i % 50 === 0 ? ';\n      DELETE FROM invoices' : ''};\n    database: billing\n    expect:\n      max-affected-rows: ${i + s}`);
  }
  const window = i % 3 === 0 ? 'window:\n  not-before: 2026-11-23T10:00:00+09:00\n  not-after: 2026-11-23T12:00:00+09:00\n' : '';
  return `version: 1\ntitle: Generated runbook ${i}\nticket: OPS-${i}\ntarget: dev-box\n${window}approvals:\n  required: ${1 + (i % 2)}\n  from: [alice, "@acme/dba"]\nsteps:\n${steps.join('\n')}\n`;
}

const texts = Array.from({ length: COUNT }, (_, i) => runbookText(i));
let peakRss = 0;
let peakHeap = 0;
const sample = () => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
};
// Warm-up loads the WASM parser and compiles the schemas once; it is reported separately.
const w0 = performance.now();
await checkRunbook({ path: 'warmup.yml', text: texts[0]! }, config);
const warm = performance.now() - w0;
let errors = 0;
let steps = 0;
const t0 = performance.now();
for (let i = 0; i < COUNT; i++) {
  const r = await checkRunbook({ path: `runbooks/gen-${i}.yml`, text: texts[i]! }, config);
  if (!r.checked) errors++;
  else steps += r.checked.runbook.steps.length;
  if (i % 50 === 0) sample();
}
const total = performance.now() - t0;
sample();
const mb = (b: number) => (b / 1024 / 1024).toFixed(1);
console.log(`runbooks: ${COUNT} (${steps} steps in valid ones, ${errors} rejected by lint as intended)`);
console.log(`first call (parser load + schema compile): ${warm.toFixed(0)} ms`);
console.log(`total: ${total.toFixed(0)} ms, per runbook: ${(total / COUNT).toFixed(2)} ms`);
console.log(`peak RSS: ${mb(peakRss)} MiB, peak heap used: ${mb(peakHeap)} MiB`);
