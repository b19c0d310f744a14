/**
 * Finds the built WebChat (the `@switchboard/webchat` package's dist/) so the gateway can serve it
 * at `/`. A gateway without the bundle still runs; `/` then answers 404 with a hint.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The WebChat bundle directory, or undefined when it is not built/installed. */
export function findWebchatDir(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('@switchboard/webchat/package.json');
    const dir = join(dirname(pkg), 'dist');
    return existsSync(join(dir, 'index.html')) ? dir : undefined;
  } catch {
    return undefined;
  }
}
