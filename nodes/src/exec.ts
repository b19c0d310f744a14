/**
 * Running a program for `system.run`: argv straight to `spawn` (never a shell), a bounded capture
 * of stdout and stderr (the head and the tail are kept; what is dropped in between is said in the
 * output), a timeout (SIGTERM, then SIGKILL after a grace period), cancellation by signal, and an
 * environment without the node host's own credentials.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

/** What `system.run` reports (OpenClaw's field names, plus `truncated`, `signal` and `durationMs`). */
export interface RunResult {
  exitCode: number | null;
  /** The signal that ended the program, if one did. */
  signal: string | null;
  timedOut: boolean;
  success: boolean;
  stdout: string;
  stderr: string;
  /** Output was cut; the text says where and how much. */
  truncated: boolean;
  /** Why the program could not be started, or null. */
  error: string | null;
  durationMs: number;
}

/** What to run. */
export interface RunSpec {
  argv: readonly string[];
  cwd?: string;
  env?: Readonly<Record<string, string>>;
  timeoutMs: number;
  /** Bytes kept per stream (half from the start, half from the end). */
  maxOutputBytes: number;
  signal?: AbortSignal;
}

/** Time between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 2_000;

/** Environment variables never handed to a program the node runs: the host's own credentials. */
const SECRET_ENV = /^(SWITCHBOARD_|OPENCLAW_GATEWAY_)/;

/** The child's environment: the host's, without its credentials, plus the call's `env`. */
export function childEnv(base: NodeJS.ProcessEnv, extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) if (!SECRET_ENV.test(k)) env[k] = v;
  return { ...env, ...extra };
}

/** Keeps the first and last `max / 2` bytes of a stream and counts what fell in between. */
export class BoundedCapture {
  private head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer = Buffer.alloc(0);
  private dropped = 0;

  constructor(private readonly max: number) {}

  push(chunk: Buffer): void {
    const headRoom = Math.ceil(this.max / 2) - this.headBytes;
    if (headRoom > 0) {
      const part = chunk.subarray(0, headRoom);
      this.head.push(part);
      this.headBytes += part.length;
      chunk = chunk.subarray(part.length);
    }
    if (chunk.length === 0) return;
    const tailMax = Math.floor(this.max / 2);
    const joined = Buffer.concat([this.tail, chunk]);
    this.dropped += Math.max(0, joined.length - tailMax);
    this.tail = joined.subarray(Math.max(0, joined.length - tailMax));
  }

  get truncated(): boolean {
    return this.dropped > 0;
  }

  /** The kept text; a marker line stands where bytes were dropped. */
  text(name: string): string {
    const head = Buffer.concat(this.head).toString('utf8');
    const tail = this.tail.toString('utf8');
    if (!this.truncated) return head + tail;
    return `${head}\n…[${name} truncated: ${this.dropped} bytes not shown]…\n${tail}`;
  }
}

/** Runs the program; never rejects (a start failure is reported in `error`). */
export function runProgram(spec: RunSpec, baseEnv: NodeJS.ProcessEnv = process.env): Promise<RunResult> {
  const started = Date.now();
  const out = new BoundedCapture(spec.maxOutputBytes);
  const err = new BoundedCapture(spec.maxOutputBytes);
  if (spec.cwd !== undefined && !existsSync(spec.cwd)) {
    return Promise.resolve({
      exitCode: null, signal: null, timedOut: false, success: false, stdout: '', stderr: '', truncated: false,
      error: `working directory not found on the node: ${spec.cwd}`, durationMs: 0,
    });
  }
  return new Promise<RunResult>((resolve) => {
    let timedOut = false;
    let startError: string | null = null;
    let killTimer: NodeJS.Timeout | undefined;
    let closed = false;
    // Its own process group (POSIX), so stopping it also stops what it started (a shell's children).
    const group = process.platform !== 'win32';
    const child = spawn(spec.argv[0], spec.argv.slice(1), {
      cwd: spec.cwd, env: childEnv(baseEnv, spec.env), shell: false, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true, detached: group,
    });
    const signal = (sig: NodeJS.Signals) => {
      try {
        if (group && child.pid !== undefined) process.kill(-child.pid, sig);
        else child.kill(sig);
      } catch {
        // Already gone.
      }
    };
    const stop = () => {
      if (closed || killTimer) return;
      signal('SIGTERM');
      killTimer = setTimeout(() => signal('SIGKILL'), KILL_GRACE_MS);
      killTimer.unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, spec.timeoutMs);
    spec.signal?.addEventListener('abort', stop, { once: true });
    child.stdout!.on('data', (c: Buffer) => out.push(c));
    child.stderr!.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e: NodeJS.ErrnoException) => {
      startError = e.code === 'ENOENT' ? `program not found: ${spec.argv[0]} (give a full path or check PATH on the node)` : e.message;
    });
    child.on('close', (code, endSignal) => {
      closed = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      spec.signal?.removeEventListener('abort', stop);
      resolve({
        exitCode: startError === null ? code : null,
        signal: endSignal ?? null,
        timedOut,
        success: code === 0 && !timedOut && startError === null,
        stdout: out.text('stdout'),
        stderr: err.text('stderr'),
        truncated: out.truncated || err.truncated,
        error: startError ?? (timedOut ? `timed out after ${spec.timeoutMs} ms and was stopped` : null),
        durationMs: Date.now() - started,
      });
    });
  });
}
