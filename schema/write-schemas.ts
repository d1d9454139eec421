// Writes schema/*.schema.json from src/runbook/schema-definitions.ts (run: npm run schema). The unit test
// test/unit/runbook-load.test.ts fails when the files and the definitions differ.
import { writeFileSync } from 'node:fs';
import { configSchema, runbookSchema } from '../src/runbook/schema-definitions.js';

for (const [file, schema] of [['schema/runbook.schema.json', runbookSchema], ['schema/config.schema.json', configSchema]] as const) {
  writeFileSync(file, `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`wrote ${file}`);
}
