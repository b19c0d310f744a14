/**
 * grammY's errors in the retry helper's terms. `GrammyError` carries Telegram's `error_code` and
 * `parameters.retry_after` (seconds, honoured in full); `HttpError` is the network. grammY never
 * puts the token in an error message.
 */
import { GrammyError, HttpError } from 'grammy';
import type { FailureClass } from '../../net/retry.js';

/** Maps a grammY error; undefined for anything else. */
export function classifyTelegram(error: unknown): FailureClass | undefined {
  if (error instanceof GrammyError) {
    const status = error.error_code;
    const retryAfter = error.parameters?.retry_after;
    return {
      retryable: status === 429 || status >= 500,
      status,
      reason: `telegram:${status}`,
      ...(typeof retryAfter === 'number' ? { retryAfterMs: retryAfter * 1000 } : {}),
    };
  }
  if (error instanceof HttpError) return { retryable: true, reason: 'network' };
  return undefined;
}

/** Telegram's answer to editing a message into the text it already has. */
export function isNotModified(error: unknown): boolean {
  return error instanceof GrammyError && error.error_code === 400 && /message is not modified/i.test(error.description);
}
