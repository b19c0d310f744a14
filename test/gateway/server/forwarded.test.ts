// Forwarding headers behind trusted proxies: CIDR trust lists, X-Forwarded-For read right to left,
// RFC 7239 `Forwarded` parsing, and the start-up refusal of an unusable trustedProxies entry.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CONFIG, Gateway, silentLog, StartupError } from '@switchboard/gateway';
import {
  clientFromHops, parseForwarded, parseXForwardedFor, TrustedProxies, trustedProxyProblem,
} from '../../../gateway/src/server/forwarded.js';

describe('TrustedProxies', () => {
  it('matches exact addresses and CIDR ranges of both families, IPv4-mapped IPv6 included', () => {
    const proxies = new TrustedProxies(['127.0.0.1', '10.0.0.0/8', 'fd00::/8', '::1']);
    for (const a of ['127.0.0.1', '10.200.3.4', '::ffff:10.1.1.1', 'fd12:3456::1', '::1']) expect(proxies.has(a), a).toBe(true);
    for (const a of ['127.0.0.2', '11.0.0.1', 'fe80::1', '203.0.113.7', 'unknown', '']) expect(proxies.has(a), a).toBe(false);
    expect(new TrustedProxies().has('127.0.0.1')).toBe(false);
  });

  it('refuses entries that are neither an address nor a range, saying what to write instead', () => {
    for (const bad of ['proxy.local', '10.0.0.0/33', 'fd00::/129', '10.0.0.0/x', '10.0.0.0/8/8', '']) {
      expect(trustedProxyProblem(bad), bad).toMatch(/is not an IP address or CIDR range; use an address such as 10\.0\.0\.2/);
      expect(() => new TrustedProxies([bad])).toThrow(/SWITCHBOARD_TRUSTED_PROXIES/);
    }
    for (const good of ['10.0.0.2', ' 10.0.0.0/8 ', '::1', 'fd00::/8', '0.0.0.0/0']) expect(trustedProxyProblem(good), good).toBeUndefined();
  });

  it('stops the daemon from starting with an unusable entry (exit code for configuration errors)', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'switchboard-test-'));
    const err = await Gateway.start({ log: silentLog(), stateDir, port: 0, trustedProxies: ['10.0.0.1', 'my-proxy'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as StartupError).exitCode).toBe(EXIT_CONFIG);
    expect((err as StartupError).message).toContain('trustedProxies entry "my-proxy" is not an IP address or CIDR range');
  });
});

describe('the client behind trusted proxies', () => {
  const proxies = new TrustedProxies(['127.0.0.1', '10.0.0.0/8']);

  it('takes the first untrusted X-Forwarded-For hop from the right, not the client-written first entry', () => {
    // An appending proxy: the client wrote "6.6.6.6", the proxy appended the real address.
    expect(clientFromHops('127.0.0.1', parseXForwardedFor('6.6.6.6, 198.51.100.9'), proxies)).toBe('198.51.100.9');
    expect(clientFromHops('127.0.0.1', parseXForwardedFor('6.6.6.6, 203.0.113.7, 10.0.0.1'), proxies)).toBe('203.0.113.7');
    // A client writing a trusted address cannot hide behind it: the proxy's appended entry is still last.
    expect(clientFromHops('127.0.0.1', parseXForwardedFor('10.9.9.9, 198.51.100.9'), proxies)).toBe('198.51.100.9');
    // Several header lines count in order.
    expect(clientFromHops('127.0.0.1', parseXForwardedFor(['6.6.6.6', '198.51.100.9:5555']), proxies)).toBe('198.51.100.9');
  });

  it('stops at the last trusted proxy when a hop is unreadable, and takes the leftmost when all are trusted', () => {
    expect(clientFromHops('127.0.0.1', parseXForwardedFor('6.6.6.6, garbage, 10.0.0.1'), proxies)).toBe('10.0.0.1');
    expect(clientFromHops('127.0.0.1', parseXForwardedFor('garbage'), proxies)).toBe('127.0.0.1');
    expect(clientFromHops('127.0.0.1', parseXForwardedFor('10.0.0.5, 10.0.0.1'), proxies)).toBe('10.0.0.5');
  });

  it('parses RFC 7239 Forwarded: quoted values, IPv6 in brackets, ports, other parameters, unknown hops', () => {
    expect(parseForwarded('for=192.0.2.60;proto=http;by=203.0.113.43')).toEqual(['192.0.2.60']);
    expect(parseForwarded('For="[2001:db8:cafe::17]:4711", for=198.51.100.17:80')).toEqual(['2001:db8:cafe::17', '198.51.100.17']);
    expect(parseForwarded('for=unknown, for="_hidden", proto=https, for="a;b,c"')).toEqual([undefined, undefined, undefined, undefined]);
    expect(parseForwarded(['for=6.6.6.6', 'for="[::ffff:198.51.100.9]"'])).toEqual(['6.6.6.6', '198.51.100.9']);
    expect(clientFromHops('127.0.0.1', parseForwarded('for=6.6.6.6, for="[2001:db8::1]:443";proto=https, for=10.0.0.1'), proxies)).toBe('2001:db8::1');
  });
});
