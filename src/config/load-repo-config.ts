// Loads .github/opsgate.yml: parse with positions, schema, semantics (one kind per target, database targets
// exist, redact patterns compile), then the typed RepoConfig with defaults. Pure: the caller reads the file.
import { hasErrors, problem, WHOLE_FILE, type Diagnostic } from '../runbook/diagnostics.js';
import { sourceInput, type LoadResult, type SourceFile } from '../runbook/load-result.js';
import type { Database, Policy, RepoConfig, RuleLevel, Target } from '../runbook/model.js';
import { locatePath, parseYamlSource, type ParsedYaml } from '../runbook/parse-yaml.js';
import { closest, schemaDiagnostics } from '../runbook/schema-check.js';
import { DEFAULT_APPROVAL_RULES } from '../policy/stricter-policy.js';

type Raw = Record<string, unknown>;
const obj = (v: unknown): Raw => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : {});


function targetDiagnostics(file: string, parsed: ParsedYaml, targets: Raw): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const [name, t] of Object.entries(targets)) {
    const kinds = ['ecs', 'ssm', 'local'].filter((k) => obj(t)[k] !== undefined);
    if (kinds.length !== 1) out.push(problem(file, locatePath(parsed, `/targets/${name}`, true), 'target-kind', `target "${name}" must have exactly one of \`ecs\`, \`ssm\`, \`local\` (found ${kinds.length ? kinds.join(', ') : 'none'})`, 'keep one of them'));
    const ssm = obj(obj(t).ssm);
    if (obj(t).ssm !== undefined) {
      const sel = ['instance-ids', 'tags', 'resource-group'].filter((k) => ssm[k] !== undefined);
      if (sel.length !== 1) out.push(problem(file, locatePath(parsed, `/targets/${name}/ssm`, true), 'ssm-selector', `ssm target "${name}" must choose instances with exactly one of \`instance-ids\`, \`tags\`, \`resource-group\``, 'keep one of them'));
    }
    const ecs = obj(obj(t).ecs);
    if (obj(t).ecs !== undefined && ecs.cluster !== undefined) {
      const sel = ['service', 'task', 'task-definition'].filter((k) => ecs[k] !== undefined);
      if (sel.length !== 1) out.push(problem(file, locatePath(parsed, `/targets/${name}/ecs`, true), 'ecs-selector', `ecs target "${name}" must name exactly one of \`service\`, \`task\`, \`task-definition\``, 'keep one of them'));
    }
  }
  return out;
}

function semanticDiagnostics(file: string, parsed: ParsedYaml, d: Raw): Diagnostic[] {
  const out = targetDiagnostics(file, parsed, obj(d.targets));
  const targetNames = Object.keys(obj(d.targets));
  for (const [name, db] of Object.entries(obj(d.databases))) {
    if (obj(db).engine === 'mysql') {
      out.push({ ...problem(file, locatePath(parsed, `/databases/${name}/engine`), 'engine-unsupported', `database "${name}" uses engine mysql, which opsgate does not support yet: SQL steps on it are refused before anything runs`, 'use a PostgreSQL database, or run the mysql client from a `run` step'), severity: 'warning' });
    }
    const t = obj(db).target;
    if (typeof t === 'string' && !targetNames.includes(t)) {
      const guess = closest(t, targetNames);
      out.push(problem(file, locatePath(parsed, `/databases/${name}/target`), 'unknown-target', `database "${name}" names target "${t}", which is not in \`targets\`${guess ? `; did you mean "${guess}"?` : ''}`, guess ? `change it to "${guess}"` : `add a target "${t}" or use one of: ${targetNames.join(', ')}`));
    }
  }
  const redact = obj(d.policy).redact;
  if (Array.isArray(redact)) redact.forEach((r, i) => {
    if (typeof r !== 'string') return;
    try { new RegExp(r, 'g'); } catch (e) {
      out.push(problem(file, locatePath(parsed, `/policy/redact/${i}`), 'bad-regex', `item ${i + 1} of \`policy.redact\` is not a valid regular expression: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`, 'fix the pattern (JavaScript RegExp syntax)'));
    }
  });
  return out;
}

function toTarget(name: string, t: Raw): Target {
  const region = typeof t.region === 'string' ? { region: t.region } : {};
  if (t.ecs) {
    const e = obj(t.ecs);
    const s = (k: string) => (typeof e[k] === 'string' ? (e[k] as string) : undefined);
    const pick = Object.fromEntries(Object.entries({ service: s('service'), task: s('task'), container: s('container'), taskDefinition: s('task-definition'),
      subnets: e.subnets, securityGroups: e['security-groups'], assignPublicIp: e['assign-public-ip'] }).filter(([, v]) => v !== undefined));
    return { kind: 'ecs', name, ...region, cluster: String(e.cluster), ...pick };
  }
  if (t.ssm) {
    const m = obj(t.ssm);
    const pick = Object.fromEntries(Object.entries({ instanceIds: m['instance-ids'], tags: m.tags, resourceGroup: m['resource-group'], outputLogGroup: m['output-log-group'] }).filter(([, v]) => v !== undefined));
    return { kind: 'ssm', name, ...region, maxConcurrency: typeof m['max-concurrency'] === 'string' ? m['max-concurrency'] : '50', maxErrors: typeof m['max-errors'] === 'string' ? m['max-errors'] : '0', ...pick };
  }
  return { kind: 'local', name };
}

function toPolicy(p: Raw): Policy {
  const a = obj(p.approvals);
  const r = obj(p['sql-rules']);
  const level = (k: string, dflt: RuleLevel): RuleLevel => (typeof r[k] === 'string' ? (r[k] as RuleLevel) : dflt);
  return {
    approvals: { required: typeof a.required === 'number' ? a.required : DEFAULT_APPROVAL_RULES.required, from: Array.isArray(a.from) ? a.from.map(String) : [...DEFAULT_APPROVAL_RULES.from], allowStale: typeof a['allow-stale'] === 'boolean' ? a['allow-stale'] : DEFAULT_APPROVAL_RULES.allowStale },
    denyCommands: Array.isArray(p['deny-commands']) ? p['deny-commands'].map(String) : [],
    sqlRules: { updateWithoutWhere: level('update-without-where', 'error'), deleteWithoutWhere: level('delete-without-where', 'error'), drop: level('drop', 'error'), truncate: level('truncate', 'warning'), ddl: level('ddl', 'warning') },
    redact: Array.isArray(p.redact) ? p.redact.map(String) : [],
  };
}

function toConfig(path: string, d: Raw): RepoConfig {
  const audit = obj(d.audit);
  const databases: Record<string, Database> = {};
  for (const [name, db] of Object.entries(obj(d.databases))) {
    const x = obj(db);
    databases[name] = { name, engine: x.engine as Database['engine'], target: String(x.target), urlEnv: String(x['url-env']) };
  }
  return {
    path, version: 1,
    ...(d.audit ? { audit: { logGroup: String(audit['log-group']), ...(typeof audit.region === 'string' ? { region: audit.region } : {}) } } : {}),
    targets: Object.fromEntries(Object.entries(obj(d.targets)).map(([n, t]) => [n, toTarget(n, obj(t))])),
    databases,
    policy: toPolicy(obj(d.policy)),
  };
}

/** Loads the repo config; bytes are checked for size, NUL and UTF-8 first. Never throws. */
export function loadRepoConfig(source: SourceFile): LoadResult<RepoConfig> {
  const path = source.path;
  try {
    return loadUnsafe(path, sourceInput(source));
  } catch (e) {
    // Fail closed: a bug while loading must never yield a config.
    return { diagnostics: [problem(path, WHOLE_FILE, 'internal-error', `opsgate could not check this file: ${(e as Error).message}`)], sourceMap: new Map() };
  }
}

function loadUnsafe(path: string, input: Uint8Array | string): LoadResult<RepoConfig> {
  const parsed = parseYamlSource(path, input, 'config');
  if (parsed.diagnostics.length || parsed.data === undefined) return { diagnostics: parsed.diagnostics, sourceMap: parsed.valueSpans };
  const schema = schemaDiagnostics('config', path, parsed);
  const diagnostics = [...schema, ...semanticDiagnostics(path, parsed, parsed.data as Raw)];
  if (hasErrors(diagnostics)) return { diagnostics, sourceMap: parsed.valueSpans };
  return { value: toConfig(path, parsed.data as Raw), diagnostics, sourceMap: parsed.valueSpans };
}
