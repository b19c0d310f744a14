/**
 * What starting the daemon needs, and nothing else: `main.ts` and `switchboard gateway run` import
 * this module. `pnpm build` replaces its compiled output (gateway/dist/daemon.js) with a single-file
 * bundle of everything it imports (gateway/bundle.mjs), so the daemon starts without resolving and
 * compiling hundreds of module files; native and optional libraries stay outside the bundle.
 */
// StartupError comes through run.js (the bundle's entry), so `instanceof` in main.ts matches the
// bundle's own copy of the class.
export { optionsFromEnv, runGatewayProcess, StartupError, type RunOptions } from './run.js';
