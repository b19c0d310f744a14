/**
 * `system.which {bins: [...]}` → `{bins: {name: path}}`: where each program is on the node's PATH
 * (only the ones found are listed), as OpenClaw's node host answers.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { paramsChecker, type NodeCommand } from './types.js';

const check = paramsChecker<{ bins: string[] }>('system.which', {
  type: 'object',
  required: ['bins'],
  properties: { bins: { type: 'array', maxItems: 64, items: { type: 'string', minLength: 1, maxLength: 255 } } },
});

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The full path of `bin` on `pathEnv`, or undefined. A name with a slash is checked as it is. */
export function which(bin: string, pathEnv: string | undefined): string | undefined {
  if (bin.includes('/')) return isAbsolute(bin) && executable(bin) ? bin : undefined;
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, bin);
    if (executable(candidate)) return candidate;
  }
  return undefined;
}

/** The `system.which` command. */
export const systemWhich: NodeCommand = {
  name: 'system.which',
  summary: 'find programs on the node\'s PATH',
  async run(params, ctx) {
    const { bins } = check(params);
    const found: Record<string, string> = {};
    for (const bin of bins) {
      const path = which(bin, ctx.env.PATH);
      if (path) found[bin] = path;
    }
    return { bins: found };
  },
};
