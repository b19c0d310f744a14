/**
 * System handlers: health, status, system-presence, talk.mode.
 */
import type { Handler } from '../context.js';

export const health: Handler<'health'> = (ctx, params) =>
  params.probe ? ctx.services.health.refresh() : ctx.services.health.summary();

export const status: Handler<'status'> = (ctx) => {
  const s = ctx.services;
  const mem = process.memoryUsage();
  const roles = s.connections.countByRole();
  return {
    version: s.version,
    pid: process.pid,
    node: process.version,
    uptimeMs: Date.now() - s.startedAt,
    state: s.lifecycle(),
    bind: { host: s.options.host, port: s.boundPort() },
    authMode: s.options.auth.mode,
    stateDir: s.options.stateDir,
    connections: { total: s.connections.size, operators: roles.operators, nodes: roles.nodes },
    memory: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed },
  };
};

export const systemPresence: Handler<'system-presence'> = (ctx) => ctx.services.presence.list();

export const talkMode: Handler<'talk.mode'> = (ctx, params) => {
  ctx.emit('talk.mode', { enabled: params.enabled, ...(params.phase !== undefined ? { phase: params.phase } : {}), ts: Date.now() });
  return { ok: true };
};

export const systemHandlers = {
  health,
  status,
  'system-presence': systemPresence,
  'talk.mode': talkMode,
};
