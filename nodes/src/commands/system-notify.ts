/**
 * `system.notify {title, body?}`: a desktop notification through `notify-send` where there is one
 * (and a display), otherwise a line in the node host's log. Answers how it was delivered.
 */
import { runProgram } from '../exec.js';
import { paramsChecker, type NodeCommand } from './types.js';
import { which } from './system-which.js';

const check = paramsChecker<{ title: string; body?: string }>('system.notify', {
  type: 'object',
  required: ['title'],
  properties: { title: { type: 'string', minLength: 1, maxLength: 500 }, body: { type: 'string', maxLength: 4000 } },
});

/** The `system.notify` command. */
export const systemNotify: NodeCommand = {
  name: 'system.notify',
  summary: 'show a desktop notification (notify-send), or log it where there is no desktop',
  async run(params, ctx) {
    const { title, body } = check(params);
    const notifySend = which('notify-send', ctx.env.PATH);
    const hasDisplay = Boolean(ctx.env.DISPLAY || ctx.env.WAYLAND_DISPLAY || ctx.env.DBUS_SESSION_BUS_ADDRESS);
    if (notifySend && hasDisplay) {
      const r = await runProgram({ argv: [notifySend, '--', title, body ?? ''], timeoutMs: 5_000, maxOutputBytes: 4096, signal: ctx.signal }, ctx.env);
      if (r.success) return { delivered: 'notify-send' };
      ctx.log(`notify-send failed (${r.error ?? r.stderr.trim() ?? `exit ${r.exitCode}`}); logging the notification instead`);
    }
    ctx.log(`notification: ${title}${body ? ` — ${body}` : ''}`);
    return { delivered: 'log' };
  },
};
