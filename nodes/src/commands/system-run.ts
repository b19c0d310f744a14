/**
 * `system.run {command: argv, cwd?, env?, timeoutMs?}` → `{exitCode, signal, timedOut, success,
 * stdout, stderr, truncated, error, durationMs}`. The argv goes straight to the program (no
 * shell); output is capped and cut visibly; the program is stopped at its timeout or when the
 * gateway cancels.
 */
import { runProgram } from '../exec.js';
import { paramsChecker, type NodeCommand } from './types.js';

interface Params {
  command: string[];
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

const check = paramsChecker<Params>('system.run', {
  type: 'object',
  required: ['command'],
  properties: {
    command: { type: 'array', minItems: 1, maxItems: 256, items: { type: 'string' } },
    cwd: { type: 'string', minLength: 1 },
    env: { type: 'object', additionalProperties: { type: 'string' } },
    timeoutMs: { type: 'integer', minimum: 1, maximum: 600_000 },
  },
});

/** The `system.run` command. */
export const systemRun: NodeCommand = {
  name: 'system.run',
  summary: 'run a program (argv, never a shell) and return its exit code and output',
  async run(params, ctx) {
    const p = check(params);
    const result = await runProgram({
      argv: p.command, cwd: p.cwd, env: p.env, timeoutMs: p.timeoutMs ?? ctx.limits.defaultRunTimeoutMs,
      maxOutputBytes: ctx.limits.maxOutputBytes, signal: ctx.signal,
    }, ctx.env);
    ctx.log(`system.run ${JSON.stringify(p.command[0])} → ${result.error ?? `exit ${result.exitCode ?? result.signal}`} in ${result.durationMs} ms`);
    return result;
  },
};
