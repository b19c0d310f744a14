// What counts as a local Host header (the DNS-rebinding half of "direct loopback").
import { describe, expect, it } from 'vitest';
import { isLocalHostHeader } from '../../../gateway/src/server/peer.js';

describe('isLocalHostHeader', () => {
  it('accepts loopback names and literals with any port', () => {
    for (const h of ['localhost', 'localhost:18789', '127.0.0.1:1', '127.8.9.10', '[::1]:18789', '[::ffff:127.0.0.1]:5', '[::ffff:7f00:1]:5', 'LOCALHOST:2']) {
      expect(isLocalHostHeader(h), h).toBe(true);
    }
  });

  it('rejects every other name, including ones that resolve to loopback', () => {
    for (const h of [undefined, '', 'vm:18789', 'gateway.example', 'localhost.evil.example', '10.0.0.1:80', '[::ffff:a00:1]:5', '[fd00::2]:1']) {
      expect(isLocalHostHeader(h), String(h)).toBe(false);
    }
  });
});
