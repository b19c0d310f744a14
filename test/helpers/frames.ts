/**
 * Frame recorder: every frame a test receives passes through here. Installed validators (the
 * generated JSON Schema, see codegen tests) check each one; by default frames are only counted.
 */
export type FrameCheck = (frame: unknown) => void;

const checks: FrameCheck[] = [];
let seen = 0;

export function addFrameCheck(check: FrameCheck): void {
  checks.push(check);
}

export function recordFrame(frame: unknown): void {
  seen++;
  for (const c of checks) c(frame);
}

export function framesSeen(): number {
  return seen;
}
