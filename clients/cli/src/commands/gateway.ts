/** `switchboard gateway run`: the daemon in the foreground. */
import type { Command } from 'commander';
import { CliError, ExitCode } from '../exit-codes.js';

interface RunFlags {
  port?: string;
  bind?: string;
  token?: string;
  password?: string;
  auth?: string;
  logLevel?: string;
}

/** Maps `--bind` words to addresses: loopback (default), lan (all interfaces), or an address. */
export function resolveBind(bind: string | undefined): string | undefined {
  if (bind === undefined) return undefined;
  if (bind === 'loopback') return '127.0.0.1';
  if (bind === 'lan' || bind === 'all') return '0.0.0.0';
  return bind;
}

export function registerGateway(program: Command, setExit: (code: number) => void): void {
  const gateway = program.command('gateway').description('run and manage the gateway daemon');
  gateway
    .command('run')
    .description('start the gateway in the foreground (Ctrl-C or SIGTERM stops it cleanly)')
    .option('--port <port>', 'port for HTTP and WebSocket (default 18789, or SWITCHBOARD_PORT)')
    .option('--bind <address>', 'loopback (default), lan, or an IP address')
    .option('--token <token>', 'shared gateway token (default: SWITCHBOARD_GATEWAY_TOKEN, else one generated on first run)')
    .option('--password <password>', 'shared gateway password instead of a token')
    .option('--auth <mode>', 'token | password | none')
    .option('--log-level <level>', 'trace | debug | info | warn | error | silent')
    .action(async (flags: RunFlags) => {
      const { optionsFromEnv, runGatewayProcess } = await import('@switchboard/gateway/daemon');
      const env = optionsFromEnv();
      const port = flags.port !== undefined ? Number(flags.port) : env.port;
      if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
        throw new CliError(ExitCode.USAGE, `--port must be an integer from 0 to 65535, got "${flags.port}"`);
      }
      if (flags.auth !== undefined && !['token', 'password', 'none'].includes(flags.auth)) {
        throw new CliError(ExitCode.USAGE, `--auth must be token, password or none, got "${flags.auth}"`);
      }
      const code = await runGatewayProcess({
        ...env,
        port,
        host: resolveBind(flags.bind) ?? env.host,
        token: flags.token ?? env.token,
        password: flags.password ?? env.password,
        authMode: (flags.auth as 'token' | 'password' | 'none' | undefined) ?? env.authMode,
        logLevel: flags.logLevel ?? env.logLevel,
      });
      setExit(code);
    });
}
