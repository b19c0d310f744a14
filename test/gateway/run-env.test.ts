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
});
