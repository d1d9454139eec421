// Entry point of the bundled action (dist/index.js), for both the main and the post step.
import './runtime-shim.js';
import { run } from './main.js';

await run();
