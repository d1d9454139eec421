#!/usr/bin/env node
// The opsgate command line. Runs the committed bundle, so a fresh clone needs only `npm ci`.
await import('../dist/cli/index.js');
