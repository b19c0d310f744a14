#!/usr/bin/env node
import { run } from './program.js';

const code = await run(process.argv);
// Let stdout drain before exiting (large JSON output through a pipe).
process.stdout.write('', () => process.exit(code));
