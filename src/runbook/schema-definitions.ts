// The JSON Schemas (draft-07) for runbooks and the repo config. The files in schema/ are written from these
// objects (`npm run schema`; test/unit/runbook-load.test.ts keeps them identical), so editors and ajv see one
// shape. OWNER in the $id is a placeholder for the GitHub owner of the opsgate repository you use.
const duration = {
  type: 'string',
  pattern: '^(?=\\d)(\\d+h)?(\\d+m)?(\\d+s)?$',
  description: 'A duration such as "30s", "5m" or "1h30m" (at most 48h).',
  examples: ['30s', '5m', '1h30m'],
};
const kebabName = { type: 'string', minLength: 1, maxLength: 100 };
const principal = {
  type: 'string',
  pattern: '^(@[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9][A-Za-z0-9_.-]*|[A-Za-z0-9][A-Za-z0-9-]{0,38})$',
  description: 'A GitHub user login ("alice") or a team ("@org/team").',
  examples: ['alice', '@acme/dba'],
};

export const runbookSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://raw.githubusercontent.com/OWNER/opsgate/main/schema/runbook.schema.json',
  title: 'opsgate runbook (version 1)',
  description: 'A reviewed production operation: shell or SQL steps run on a target after the pull request is approved and merged.',
  type: 'object',
  additionalProperties: false,
  required: ['version', 'title', 'target', 'steps'],
  properties: {
    version: { const: 1, description: 'Format version; always 1.' },
    title: { type: 'string', minLength: 1, maxLength: 200, description: 'One line that says what this operation does.' },
    ticket: { type: 'string', minLength: 1, maxLength: 100, description: 'Ticket or incident id.', examples: ['OPS-1234'] },
    description: { type: 'string', description: 'Why this operation is needed (markdown).' },
    target: { ...kebabName, description: 'Name of a target in the repo config (.github/opsgate.yml).', examples: ['billing-ops'] },
    window: {
      type: 'object',
      additionalProperties: false,
      description: 'When the run is allowed; RFC 3339 timestamps with an offset.',
      properties: {
        'not-before': { type: 'string', description: 'Earliest start.', examples: ['2026-11-23T10:00:00+09:00'] },
        'not-after': { type: 'string', description: 'Latest start.', examples: ['2026-11-23T12:00:00+09:00'] },
      },
    },
    approvals: {
      type: 'object',
      additionalProperties: false,
      description: 'Extra approvals; can only tighten the repo policy.',
      properties: {
        required: { type: 'integer', minimum: 1, maximum: 20, description: 'Number of approving reviews.' },
        from: { type: 'array', items: principal, uniqueItems: true, description: 'Who may approve.' },
      },
    },
    steps: {
      type: 'array',
      minItems: 1,
      maxItems: 100,
      description: 'Steps run in order; each is either `run` (shell) or `sql`.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 200, description: 'Unique step name.' },
          run: { type: 'string', minLength: 1, description: 'Shell script run with bash on the target.' },
          sql: { type: 'string', minLength: 1, description: 'SQL run through psql/mysql on the target.' },
          database: { ...kebabName, description: 'Name of a database in the repo config (required with `sql`).' },
          timeout: { ...duration, description: 'Step time limit (default 10m, at most 48h).' },
          'continue-on-error': { type: 'boolean', description: 'Keep going when this step fails (default false).' },
          'working-directory': { type: 'string', minLength: 1, description: 'Directory for a `run` step.' },
          transaction: { type: 'boolean', description: 'Run all SQL statements in one transaction (default true).' },
          expect: {
            type: 'object',
            additionalProperties: false,
            properties: {
              'max-affected-rows': { type: 'integer', minimum: 0, description: 'Roll back and fail when more rows change.' },
            },
          },
        },
      },
    },
  },
} as const;

const ssmTarget = {
  type: 'object',
  additionalProperties: false,
  description: 'AWS Systems Manager Run Command on instances chosen by id, tags or resource group (exactly one).',
  properties: {
    'instance-ids': {
      type: 'array', minItems: 1, maxItems: 1000, uniqueItems: true,
      items: { type: 'string', pattern: '^(i-[0-9a-f]{8}|i-[0-9a-f]{17}|mi-[0-9a-f]{17})$', description: 'An EC2 instance id (i- and 8 or 17 hex digits) or a managed instance id (mi- and 17 hex digits).', examples: ['i-0123456789abcdef0'] },
    },
    tags: {
      type: 'object', minProperties: 1, maxProperties: 5,
      propertyNames: { type: 'string', minLength: 1, maxLength: 128 },
      additionalProperties: {
        anyOf: [
          { type: 'string', minLength: 1, maxLength: 256 },
          { type: 'array', minItems: 1, maxItems: 50, items: { type: 'string', minLength: 1, maxLength: 256 } },
        ],
      },
    },
    'resource-group': { type: 'string', minLength: 1, maxLength: 300 },
    'max-concurrency': { type: 'string', pattern: '^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$', maxLength: 7, description: 'How many instances run a step at once: a number of at least 1, or a percentage from 1% to 100% (default "50").', examples: ['10', '25%'] },
    'max-errors': { type: 'string', pattern: '^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$', maxLength: 7, description: 'How many instances may fail before SSM stops sending the step: a number, or a percentage from 0% to 100% (default "0").', examples: ['0', '1', '10%'] },
    'output-log-group': { type: 'string', minLength: 1, maxLength: 512 },
  },
};
const ecsTarget = {
  type: 'object',
  additionalProperties: false,
  required: ['cluster'],
  description: 'ECS Exec into a running task (service or task) or a one-off task from a task definition.',
  properties: {
    cluster: { type: 'string', minLength: 1 },
    service: { type: 'string', minLength: 1 },
    task: { type: 'string', minLength: 1 },
    container: { type: 'string', minLength: 1 },
    'task-definition': { type: 'string', minLength: 1 },
    subnets: { type: 'array', items: { type: 'string', pattern: '^subnet-[0-9a-f]+$', description: 'A VPC subnet id.', examples: ['subnet-0123abcd'] } },
    'security-groups': { type: 'array', items: { type: 'string', pattern: '^sg-[0-9a-f]+$', description: 'A security group id.', examples: ['sg-0123abcd'] } },
    'assign-public-ip': { type: 'boolean' },
  },
};
const ruleLevel = { enum: ['error', 'warning', 'off'] };

export const configSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://raw.githubusercontent.com/OWNER/opsgate/main/schema/config.schema.json',
  title: 'opsgate repo config (.github/opsgate.yml, version 1)',
  type: 'object',
  additionalProperties: false,
  required: ['version', 'targets'],
  properties: {
    version: { const: 1 },
    audit: {
      type: 'object', additionalProperties: false, required: ['log-group'],
      properties: {
        'log-group': { type: 'string', pattern: '^[\\.\\-_/#A-Za-z0-9]{1,512}$', description: 'A CloudWatch Logs log group name: letters, digits and . - _ / #, at most 512 characters.', examples: ['/opsgate/audit'] },
        region: { type: 'string', pattern: '^[a-z]{2}(-[a-z]+)+-\\d$', description: 'An AWS region code.', examples: ['ap-northeast-1'] },
      },
    },
    targets: {
      type: 'object', minProperties: 1,
      description: 'Where steps run, by name.',
      additionalProperties: {
        type: 'object', additionalProperties: false,
        properties: {
          ecs: ecsTarget,
          ssm: ssmTarget,
          local: { type: 'object', additionalProperties: false, properties: {}, description: 'This machine (demo, tests).' },
          region: { type: 'string', pattern: '^[a-z]{2}(-[a-z]+)+-\\d$', description: 'An AWS region code.', examples: ['ap-northeast-1'] },
        },
      },
    },
    databases: {
      type: 'object',
      additionalProperties: {
        type: 'object', additionalProperties: false, required: ['engine', 'target', 'url-env'],
        properties: {
          engine: { enum: ['postgres', 'mysql'] },
          target: { type: 'string', minLength: 1 },
          'url-env': { type: 'string', pattern: '^[A-Z_][A-Z0-9_]*$', description: 'The name of the environment variable that holds the connection URL: capital letters, digits and underscores.', examples: ['BILLING_DATABASE_URL'] },
        },
      },
    },
    policy: {
      type: 'object', additionalProperties: false,
      properties: {
        approvals: {
          type: 'object', additionalProperties: false,
          properties: {
            required: { type: 'integer', minimum: 1, maximum: 20 },
            from: { type: 'array', items: principal, uniqueItems: true },
            'allow-stale': { type: 'boolean' },
          },
        },
        'deny-commands': { type: 'array', items: { type: 'string', minLength: 1 } },
        'sql-rules': {
          type: 'object', additionalProperties: false,
          properties: {
            'update-without-where': ruleLevel, 'delete-without-where': ruleLevel, drop: ruleLevel,
            truncate: ruleLevel, ddl: ruleLevel,
          },
        },
        redact: { type: 'array', items: { type: 'string', minLength: 1 } },
      },
    },
  },
} as const;
