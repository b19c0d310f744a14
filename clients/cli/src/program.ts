/**
 * The `switchboard` command. Each area registers its commands here; `run()` maps every failure to
 * an exit code (0 ok, 1 error reply, 2 usage, 3 cannot connect).
 */
import { Command, CommanderError } from 'commander';
import { registerGateway } from './commands/gateway.js';
import { registerRpc } from './commands/rpc.js';
import { registerDevices } from './commands/devices.js';
import { registerConfig } from './commands/config.js';
import { registerBackup } from './commands/backup.js';
import { registerNode } from './commands/node.js';
import { registerNodes } from './commands/nodes.js';
import { registerApprovals } from './commands/approvals.js';
import { registerChannels } from './commands/channels.js';
import { CliError, ExitCode } from './exit-codes.js';

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('switchboard')
    .description('Switchboard: a self-hosted gateway between your messaging apps and your AI agent')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerGateway(program, setExit);
  registerRpc(program);
  registerDevices(program);
  registerConfig(program);
  registerBackup(program);
  registerNode(program, setExit);
  registerNodes(program);
  registerApprovals(program);
  registerChannels(program);
  return program;
}

/** Runs the CLI with `argv` and resolves with the exit code. */
export async function run(argv: string[]): Promise<number> {
  let code: number = ExitCode.OK;
  const program = buildProgram((c) => { code = c; });
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end with code 0; everything else is a usage error.
      return err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    if (err instanceof CliError) {
      process.stderr.write(`switchboard: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`switchboard: ${err instanceof Error ? err.message : String(err)}\n`);
    return ExitCode.ERROR_REPLY;
  }
}
