/**
 * `switchboard node run --url ws://HOST:PORT [--token T] [--commands a,b] [--display-name N]`:
 * this machine as a headless device node, in the foreground until Ctrl-C or SIGTERM. Its device
 * identity lives in the state directory (`identity/node.json`, 0600); on the gateway's own host it
 * is paired automatically, elsewhere it waits (retrying) until an operator approves it.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { resolveStateDir } from '@switchboard/gateway/local';
import { resolveTarget } from '../connection.js';
import { CliError, ExitCode } from '../exit-codes.js';

interface NodeRunFlags {
  url?: string;
  token?: string;
  password?: string;
  commands?: string;
  displayName?: string;
}

/** Registers `switchboard node …`. */
export function registerNode(program: Command, setExit: (code: number) => void): void {
  const node = program.command('node').description('run this machine as a device node of a gateway');
  node
    .command('run')
    .description('connect to a gateway as a node and run the commands it sends (foreground; Ctrl-C stops)')
    .option('--url <url>', 'gateway WebSocket URL (default ws://127.0.0.1:18789, or SWITCHBOARD_URL)')
    .option('--token <token>', 'gateway token for the first pairing (default: SWITCHBOARD_GATEWAY_TOKEN, else gateway.auth in config.yaml, else the local generated token)')
    .option('--password <password>', 'gateway password instead of a token')
    .option('--commands <list>', 'offer only these commands (comma-separated; default system.run,system.which,system.notify)')
    .option('--display-name <name>', 'the name operators see (default: this host name)')
    .action(async (flags: NodeRunFlags) => {
      const target = await resolveTarget(flags);
      const commands = flags.commands?.split(',').map((c) => c.trim()).filter(Boolean);
      const { NodeHost } = await import('@switchboard/nodes');
      let host;
      try {
        host = new NodeHost({
          url: target.url, token: target.token, password: target.password,
          identityDir: join(resolveStateDir(), 'identity'), commands, displayName: flags.displayName,
        });
      } catch (err) {
        throw new CliError(ExitCode.USAGE, (err as Error).message);
      }
      process.stderr.write(`node host: node id ${host.nodeId}; connecting to ${target.url} (Ctrl-C stops)\n`);
      await new Promise<void>((resolve) => {
        const stop = (signal: NodeJS.Signals) => {
          process.stderr.write(`node host: ${signal}, stopping\n`);
          void host.stop().then(resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        // start() resolves on the first hello-ok and keeps retrying refusals; it only rejects once stopped.
        host.start().catch(() => undefined);
      });
      setExit(ExitCode.OK);
    });
}
