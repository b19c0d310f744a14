#!/usr/bin/env node
// Direct entry point of the daemon (`node gateway/dist/main.js`); settings come from the environment.
// The usual way to start it is `switchboard gateway run`, which accepts flags too.
import { optionsFromEnv, runGatewayProcess, StartupError } from './daemon.js';

let code: number;
try {
  code = await runGatewayProcess(optionsFromEnv());
} catch (err) {
  if (err instanceof StartupError) {
    // A setting the daemon refuses (an invalid environment variable): the message says how to fix it.
    process.stderr.write(`switchboard: ${err.message}\n`);
    code = err.exitCode;
  } else {
    // An unexpected start-up failure must not end as exit 0 through the daemon's last-resort handlers.
    process.stderr.write(`switchboard: the gateway could not start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    code = 1;
  }
}
process.exit(code);
