/** The CLI's exit codes, a contract for scripts. */
export const ExitCode = {
  OK: 0,
  /** The gateway answered with an error (including a refused handshake). */
  ERROR_REPLY: 1,
  /** Bad command line. */
  USAGE: 2,
  /** No gateway reachable at the URL. */
  CANNOT_CONNECT: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error that ends the command with a given exit code and message. */
export class CliError extends Error {
  constructor(readonly exitCode: ExitCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
  }
}
