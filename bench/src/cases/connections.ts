/**
 * Many connections: opens N authenticated connections with 25 handshakes in flight (each
 * optionally signed by its own Ed25519 device key), verifies each with one `health` request, reads
 * the server's RSS with all of them open, then closes them. Repeated; medians are reported.
 *
 * Signed, the rounds come in pairs: first connects of N new devices (each is paired on loopback and
 * handed a device token), then reconnects of the same devices presenting that token, as the SDK,
 * the CLI and OpenClaw's CLI do. Both verify every signature; they are reported separately.
 */
import { closeAll, failureSummary, openMany, type BenchConnection } from '../client.js';
import { createIdentity, type BenchIdentity } from '../device.js';
import { cpuSeconds, rssMiB } from '../proc.js';
import { median, summarize } from '../stats.js';
import type { BenchServer } from '../servers.js';
import { sleep, type BenchCase, type CaseRun, type FigureSpec, type Measurement } from './types.js';

const IN_FLIGHT = 25;

/** One `health` request on every connection, 25 at a time; returns how many were answered ok. */
async function verifyAll(conns: readonly BenchConnection[]): Promise<{ ok: number; errors: string[] }> {
  let next = 0;
  let ok = 0;
  const errors: string[] = [];
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, conns.length) }, async () => {
    while (next < conns.length) {
      const c = conns[next++];
      try {
        const answer = await c.request('health');
        if (answer.ok) ok++;
        else errors.push(`${answer.error?.code}: ${answer.error?.message}`);
      } catch (err) {
        errors.push(err instanceof Error ? err.message : String(err));
      }
    }
  }));
  return { ok, errors };
}

interface RoundFigures {
  totalMs: number;
  connectsPerSec: number;
  rssAfterMiB: number | null;
  serverCpuUsPerConn: number | null;
}

/** Signed rounds: fresh identities for a first-connect round, kept (with their tokens) for the reconnect round after it. */
class Devices {
  identities: BenchIdentity[] = [];
  readonly tokens = new Map<string, string>();
  keygenMs = 0;

  /** Whether round `index` is a first-connect round (even) or a reconnect round (odd). */
  static firstConnect(index: number): boolean {
    return index % 2 === 0;
  }

  renew(count: number): void {
    const t0 = performance.now();
    this.identities = Array.from({ length: count }, createIdentity);
    this.tokens.clear();
    this.keygenMs += performance.now() - t0;
  }

  remember(conns: readonly BenchConnection[]): void {
    for (const c of conns) if (c.deviceId && c.deviceToken) this.tokens.set(c.deviceId, c.deviceToken);
  }
}

/** One connections run against one server: the keys (if signed) and what each repeat measured. */
class ConnectionsRun implements CaseRun {
  private readonly perRound: Array<RoundFigures & { firstConnect?: boolean }> = [];
  private readonly details: Record<string, unknown>[] = [];
  private open: BenchConnection[] = [];

  constructor(
    private readonly server: BenchServer,
    private readonly count: number,
    private readonly devices: Devices | undefined,
  ) {}

  async round(index: number): Promise<void> {
    const server = this.server;
    const devices = this.devices;
    const firstConnect = devices ? Devices.firstConnect(index) : undefined;
    if (devices && firstConnect) devices.renew(this.count);
    const rssBefore = rssMiB(server.pid);
    const cpuBefore = cpuSeconds(server.pid);
    const selfBefore = process.cpuUsage();
    const helloTimes: number[] = [];
    const options = (i: number) => {
      const identity = devices?.identities[i];
      return { url: server.url, token: server.token, identity, deviceToken: identity && !firstConnect ? devices!.tokens.get(identity.deviceId) : undefined };
    };
    const opened = await openMany(this.count, IN_FLIGHT, options, 60_000, helloTimes);
    this.open = opened.conns;
    if (devices && firstConnect) devices.remember(opened.conns);
    const serverCpuSeconds = cpuSeconds(server.pid) - cpuBefore;
    const self = process.cpuUsage(selfBefore);
    const n = opened.conns.length;
    const rssRightAfter = rssMiB(server.pid);
    const verify = await verifyAll(opened.conns);
    await sleep(1000); // garbage from the handshakes settles; RSS then reflects the open connections
    const rssAfter = rssMiB(server.pid);
    await this.abort();
    await sleep(500); // the server finishes its close handling before the next round
    this.perRound.push({
      ...(firstConnect !== undefined ? { firstConnect } : {}),
      totalMs: Math.round(opened.elapsedMs),
      connectsPerSec: Math.round(n / (opened.elapsedMs / 1000)),
      rssAfterMiB: rssAfter,
      serverCpuUsPerConn: n && Number.isFinite(serverCpuSeconds) ? Math.round((serverCpuSeconds / n) * 1e6) : null,
    });
    this.details.push({
      ...(firstConnect !== undefined ? { kind: firstConnect ? 'first connects (new devices, paired on loopback)' : 'reconnects (paired devices with their device token)' } : {}),
      // hello-ok hands out a token on a first connect, and none when the device presented a valid one.
      ...(devices ? { tokensIssued: opened.conns.filter((c) => c.deviceToken !== undefined).length } : {}),
      connected: n,
      failures: opened.failures.length,
      failureSamples: failureSummary(opened.failures),
      handshakeMs: summarize(helloTimes),
      verifiedOk: verify.ok,
      verifyErrors: failureSummary(verify.errors),
      serverCpuSeconds: Math.round(serverCpuSeconds * 100) / 100,
      // The load client's own CPU per connection: when it is above the server's, the client is the bottleneck.
      clientCpuUsPerConn: n ? Math.round((self.user + self.system) / n) : null,
      rssBeforeMiB: rssBefore,
      rssRightAfterConnectMiB: rssRightAfter,
      rssAfterMiB: rssAfter,
    });
    if (n < this.count) throw new Error(`only ${n} of ${this.count} connections opened: ${JSON.stringify(failureSummary(opened.failures))}`);
  }

  async finish(): Promise<Measurement> {
    const rounds = (first?: boolean) => this.perRound.filter((r) => r.firstConnect === first);
    const pick = (list: RoundFigures[], k: keyof RoundFigures) => median(list.map((r) => r[k]).filter((v): v is number => v !== null));
    const detail = { requested: this.count, rounds: this.details, ...(this.devices ? { keygenMs: Math.round(this.devices.keygenMs) } : {}) };
    if (!this.devices) {
      const all = rounds(undefined);
      return {
        rounds: all.map(({ firstConnect: _first, ...r }) => r),
        figures: { totalMs: pick(all, 'totalMs'), connectsPerSec: pick(all, 'connectsPerSec'), rssAfterMiB: pick(all, 'rssAfterMiB'), serverCpuUsPerConn: pick(all, 'serverCpuUsPerConn') },
        detail,
      };
    }
    const first = rounds(true);
    const again = rounds(false);
    return {
      figures: {
        totalMs: pick(again, 'totalMs'),
        connectsPerSec: pick(again, 'connectsPerSec'),
        rssAfterMiB: pick(again, 'rssAfterMiB'),
        serverCpuUsPerConn: pick(again, 'serverCpuUsPerConn'),
        firstConnectsPerSec: pick(first, 'connectsPerSec'),
        firstServerCpuUsPerConn: pick(first, 'serverCpuUsPerConn'),
      },
      detail,
    };
  }

  async abort(): Promise<void> {
    const conns = this.open;
    this.open = [];
    await closeAll(conns);
  }
}

/** A connections case: `count` connections, signed (own key each) or token only; median of the repeats. */
export function connectionsCase(id: string, count: number, signed: boolean, figures: FigureSpec[]): BenchCase {
  return {
    id,
    title: `${count.toLocaleString('en-US')} ${signed ? 'signed ' : ''}connections, ${IN_FLIGHT} in flight`,
    description: signed
      ? `${count} connections, each signing the v3 device payload over its challenge with its own Ed25519 key (keys made before timing), ${IN_FLIGHT} handshakes in flight. Each repeat is a round of first connects of ${count} new devices (paired on loopback, each handed a device token) and a round of reconnects of those devices presenting their token; the median of each kind.`
      : `${count} token-authenticated connections, ${IN_FLIGHT} handshakes in flight; RSS read with all of them open (after each answered one health request and a 1 s pause); the median of the repeats.`,
    figures,
    // Signed: a first-connect round and a reconnect round per repeat.
    rounds: (timing) => (signed ? 2 * timing.repeats : timing.repeats),
    async start(kind, ctx): Promise<CaseRun> {
      return new ConnectionsRun(await ctx.server(kind), count, signed ? new Devices() : undefined);
    },
  };
}

export const connections5000Case = connectionsCase('connect-5000', 5000, false, [
  { key: 'totalMs', label: '5,000 connections: total time', unit: 'ms', better: 'lower', target: { on: 'value', op: '<', threshold: 4000, text: '< 4 s' }, openclaw: '31–33 s (token + device signature)' },
  { key: 'connectsPerSec', label: '5,000 connections: connects/s', unit: 'conn/s', better: 'higher', openclaw: '~155 conn/s' },
  { key: 'rssAfterMiB', label: 'RSS with 5,000 connections open', unit: 'MiB', better: 'lower' },
  { key: 'serverCpuUsPerConn', label: 'server CPU per connection', unit: 'µs', better: 'lower' },
]);

const SIGNED_TARGET = { on: 'value', op: '>=', threshold: 2000, text: '≥ 2,000/s' } as const;

export const signedConnections5000Case = connectionsCase('signed-5000', 5000, true, [
  { key: 'totalMs', label: '5,000 signed reconnects: total time', unit: 'ms', better: 'lower', openclaw: '31–33 s' },
  { key: 'connectsPerSec', label: '5,000 signed reconnects (paired devices, device token): connects/s', unit: 'conn/s', better: 'higher', target: SIGNED_TARGET, openclaw: '~155 conn/s' },
  { key: 'rssAfterMiB', label: 'RSS with 5,000 signed connections open', unit: 'MiB', better: 'lower' },
  { key: 'serverCpuUsPerConn', label: 'server CPU per signed reconnect', unit: 'µs', better: 'lower' },
  { key: 'firstConnectsPerSec', label: '5,000 signed first connects (new devices paired on loopback): connects/s', unit: 'conn/s', better: 'higher', target: SIGNED_TARGET },
  { key: 'firstServerCpuUsPerConn', label: 'server CPU per signed first connect (verify + pairing)', unit: 'µs', better: 'lower' },
]);
