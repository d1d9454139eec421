// The one place that reads inputs (src/action/action-inputs.ts) must match action.yml exactly.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { INPUT_NAMES, OUTPUT_NAMES } from '../../src/action/action-inputs.js';
import { RefusalError } from '../../src/run/outcome.js';

const manifest = parse(readFileSync(new URL('../../action.yml', import.meta.url), 'utf8')) as {
  inputs: Record<string, { description: string; default?: string }>;
  outputs: Record<string, { description: string }>;
  runs: { using: string; main: string; post?: string };
};

describe('action.yml', () => {
  it('declares exactly the inputs the code reads', () => {
    expect(Object.keys(manifest.inputs).sort()).toEqual([...INPUT_NAMES].sort());
  });

  it('declares exactly the outputs the code writes', () => {
    expect(Object.keys(manifest.outputs).sort()).toEqual([...OUTPUT_NAMES].sort());
  });

  it('describes every input and output', () => {
    for (const [name, input] of Object.entries({ ...manifest.inputs, ...manifest.outputs })) {
      expect(input.description, name).toMatch(/\w{3,}/);
    }
  });

  it('runs the committed bundle on node24, with a post step', () => {
    expect(manifest.runs).toEqual({ using: 'node24', main: 'dist/index.js', post: 'dist/index.js' });
  });
});

describe('readActionInputs', () => {
  it('applies defaults and rejects an unknown mode with the accepted values', async () => {
    const { readActionInputs } = await import('../../src/action/action-inputs.js');
    const saved = { ...process.env };
    try {
      process.env['INPUT_GITHUB-TOKEN'] = 'ghs_example';
      delete process.env.INPUT_MODE;
      const inputs = readActionInputs();
      expect(inputs).toMatchObject({ mode: 'auto', configPath: '.github/opsgate.yml', statusContext: 'opsgate/approval' });
      process.env.INPUT_MODE = 'deploy';
      expect(() => readActionInputs()).toThrow(/"mode" is "deploy"; use one of: auto, plan, run/);
      expect(() => readActionInputs()).toThrow(RefusalError); // the workflow's to fix: refuse, not error
    } finally {
      process.env = saved;
    }
  });

  it('splits secret-env on commas and newlines', async () => {
    const { readActionInputs } = await import('../../src/action/action-inputs.js');
    const saved = { ...process.env };
    try {
      process.env['INPUT_GITHUB-TOKEN'] = 'ghs_example';
      process.env['INPUT_SECRET-ENV'] = 'DB_URL, API_KEY\nOTHER';
      expect(readActionInputs().secretEnv).toEqual(['DB_URL', 'API_KEY', 'OTHER']);
    } finally {
      process.env = saved;
    }
  });
});
