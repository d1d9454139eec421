// Runs every benchmark in bench/ one after another, each in its own process so one's memory does not
// colour the next one's figures; each prints its own figures. Run: npm run bench
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const dir = import.meta.dirname;
const self = path.basename(import.meta.filename);
const benches = readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== self).sort();
let failed = 0;
for (const file of benches) {
  console.log(`\n== bench/${file}`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(dir, file)], { stdio: 'inherit' });
  if (run.status !== 0) {
    failed++;
    console.log(`bench/${file} exited with ${run.status ?? run.signal}`);
  }
}
console.log(`\n${benches.length - failed} of ${benches.length} benchmarks finished`);
process.exitCode = failed ? 1 : 0;
