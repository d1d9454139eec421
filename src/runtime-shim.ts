// Imported first by both bundle entries. libpg-query's WASM loader resolves `libpg-query.wasm` against a
// CommonJS `__dirname`, which an ESM bundle does not have; the bundle script copies the .wasm next to the
// bundle, and this points `__dirname` there.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const globals = globalThis as { __dirname?: string };
globals.__dirname ??= dirname(fileURLToPath(import.meta.url));
