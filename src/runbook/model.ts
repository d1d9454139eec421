// The validated, defaulted runbook and repo-config models. Everything past loading works on these types
// only; the raw YAML shapes never leave src/runbook/load*.ts and src/config/load-repo-config.ts.

/** A position in a source file, 1-based like editors and GitHub annotations. */
export interface SourcePosition {
  line: number;
  column: number;
}

export interface SourceSpan {
  start: SourcePosition;
  end: SourcePosition;
}

/** Where each field of a loaded file came from, keyed by a JSON-pointer-like path ("/steps/1/sql"). */
export type SourceMap = ReadonlyMap<string, SourceSpan>;

export interface RunbookWindow {
  /** RFC 3339 text exactly as written (keeps the author's offset for display). */
  notBefore?: string;
  notAfter?: string;
}

export interface ApprovalRequirement {
  required: number;
  /** Users ("alice") and teams ("@acme/dba"). Empty means anyone with write permission. */
  from: string[];
}

interface StepBase {
  name: string;
  /** Index in the runbook's steps, 0-based. */
  index: number;
  timeoutSeconds: number;
  continueOnError: boolean;
}

export interface ShellStep extends StepBase {
  kind: 'shell';
  run: string;
  workingDirectory?: string;
}

export interface SqlStep extends StepBase {
  kind: 'sql';
  sql: string;
  /** Name of a database in the repo config. */
  database: string;
  /** Run all statements in one transaction (default true). */
  transaction: boolean;
  /** Roll back and fail when more rows than this change. */
  maxAffectedRows?: number;
}

export type Step = ShellStep | SqlStep;

export interface Runbook {
  /** Repository-relative path, forward slashes. */
  path: string;
  version: 1;
  title: string;
  ticket?: string;
  description?: string;
  target: string;
  window?: RunbookWindow;
  approvals?: Partial<ApprovalRequirement>;
  steps: Step[];
}

export interface EcsTarget {
  kind: 'ecs';
  name: string;
  region?: string;
  cluster: string;
  service?: string;
  task?: string;
  container?: string;
  /** Start a one-off task from this task definition instead of using a running one. */
  taskDefinition?: string;
  subnets?: string[];
  securityGroups?: string[];
  assignPublicIp?: boolean;
}

export interface SsmTarget {
  kind: 'ssm';
  name: string;
  region?: string;
  instanceIds?: string[];
  tags?: Record<string, string | string[]>;
  resourceGroup?: string;
  maxConcurrency: string;
  maxErrors: string;
  /** Log group for full command output (CloudWatchOutputConfig). */
  outputLogGroup?: string;
}

export interface LocalTarget {
  kind: 'local';
  name: string;
}

export type Target = EcsTarget | SsmTarget | LocalTarget;

export interface Database {
  name: string;
  engine: 'postgres' | 'mysql';
  /** Target the client runs on. */
  target: string;
  /** Environment variable (on the target, or locally) that holds the connection URL. */
  urlEnv: string;
}

export type RuleLevel = 'error' | 'warning' | 'off';

export interface SqlRules {
  updateWithoutWhere: RuleLevel;
  deleteWithoutWhere: RuleLevel;
  drop: RuleLevel;
  truncate: RuleLevel;
  /** DDL other than DROP/TRUNCATE (ALTER, CREATE...). */
  ddl: RuleLevel;
}

export interface Policy {
  approvals: ApprovalRequirement & {
    /** Count approvals given on an earlier head commit (default false). */
    allowStale: boolean;
  };
  denyCommands: string[];
  sqlRules: SqlRules;
  /** Regular expressions whose matches are masked in every output. */
  redact: string[];
}

export interface AuditConfig {
  logGroup: string;
  region?: string;
}

export interface RepoConfig {
  /** Repository-relative path of the file this came from. */
  path: string;
  version: 1;
  audit?: AuditConfig;
  targets: Record<string, Target>;
  databases: Record<string, Database>;
  policy: Policy;
}
