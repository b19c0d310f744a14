#!/usr/bin/env node
// Direct entry point of the daemon (`node gateway/dist/main.js`); settings come from the environment.
// The usual way to start it is `switchboard gateway run`, which accepts flags too.
import { optionsFromEnv, runGatewayProcess } from './run.js';

const code = await runGatewayProcess(optionsFromEnv());
process.exit(code);
