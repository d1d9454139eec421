// Turns a step into what a remote target runs. (Contract stub: the SQL-delivery work replaces the body.)
// Untrusted text (the step's shell or SQL) only ever appears base64-encoded inside a fixed bash template.
import type { Database, Step } from '../runbook/model.js';

/** A self-contained bash script whose exit status is the step's. */
export function renderStepScript(_step: Step, _database?: Database): string {
  throw new Error('renderStepScript is not built yet');
}
