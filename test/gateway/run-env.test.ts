// Daemon settings from the environment: the access-control lists added with issue 3.
import { describe, expect, it } from 'vitest';
import { optionsFromEnv } from '@switchboard/gateway';

describe('optionsFromEnv', () => {
  it('reads trusted proxies and allowed origins as comma-separated lists', () => {
    const o = optionsFromEnv({ SWITCHBOARD_TRUSTED_PROXIES: '127.0.0.1, 10.0.0.2,', SWITCHBOARD_ALLOWED_ORIGINS: 'https://ops.example.com' });
    expect(o.trustedProxies).toEqual(['127.0.0.1', '10.0.0.2']);
    expect(o.allowedOrigins).toEqual(['https://ops.example.com']);
    expect(optionsFromEnv({}).trustedProxies).toBeUndefined();
  });

  it('reads the request budget as <maxRequests> or <maxRequests>/<windowMs>, and refuses anything else with exit 78', () => {
    expect(optionsFromEnv({ SWITCHBOARD_REQUEST_BUDGET: '100000/10000' }).limits).toEqual({ requestBudget: { maxRequests: 100_000, windowMs: 10_000 } });
    expect(optionsFromEnv({ SWITCHBOARD_REQUEST_BUDGET: '500' }).limits).toEqual({ requestBudget: { maxRequests: 500, windowMs: 10_000 } });
    expect(optionsFromEnv({}).limits).toBeUndefined();
    for (const bad of ['lots', '0', '10/5', '-1', '1e6']) {
      expect(() => optionsFromEnv({ SWITCHBOARD_REQUEST_BUDGET: bad })).toThrow(expect.objectContaining({ exitCode: 78, message: expect.stringMatching(/SWITCHBOARD_REQUEST_BUDGET must be .* for example 2000\/10000/) }));
    }
  });
});
