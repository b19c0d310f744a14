/**
 * What the agent-run cases need: a fake OpenAI-compatible provider in the bench process that streams
 * numbered deltas and stamps each one just before writing it, a gateway whose `config.yaml` points
 * its agent at that provider, and a client that stamps each `agent` assistant delta on arrival.
 * Provider and client share this process's clock, so arrival − stamp is the gateway's path: loopback
 * in, SSE parse, run manager, transcript, fan-out, loopback out.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchConnection, type EventFrame } from './client.js';
import { startGatewayIn, type BenchPaths, type ServerProcess } from './servers.js';

/** How the fake provider streams every run. */
export interface StreamScript {
  deltasPerRun: number;
  /** Pause between two deltas of a run; 0 streams as fast as the gateway reads. */
  intervalMs: number;
}

/** The fake provider; `stamps` maps each delta's text to when it was written (performance.now()). */
export interface FakeProvider {
  readonly baseUrl: string;
  readonly stamps: Map<string, number>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Starts the provider: each request streams `deltasPerRun` chunks `<run>:<i> `, where the run id comes from the prompt `run <id>`. */
export async function startFakeProvider(script: StreamScript): Promise<FakeProvider> {
  const stamps = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      const messages = (JSON.parse(body) as { messages: Array<{ role: string; content: string }> }).messages;
      // The user's text reaches the model as delimited, escaped data; the id ends at its closing quote.
      const run = /run (\S+?)"/.exec(messages[messages.length - 1].content)?.[1] ?? 'unknown';
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      void (async () => {
        for (let i = 0; i < script.deltasPerRun && !res.destroyed; i++) {
          if (i > 0) await (script.intervalMs > 0 ? sleep(script.intervalMs) : new Promise((r) => setImmediate(r)));
          const delta = `${run}:${i} `;
          stamps.set(delta, performance.now());
          res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: delta }, finish_reason: null }] })}\n\n`);
        }
        res.end(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`);
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    stamps,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

/** A gateway (its own state directory with config.yaml) whose agent streams from `provider`. */
export async function startAgentGateway(paths: BenchPaths, provider: FakeProvider): Promise<{ server: ServerProcess; close(): Promise<void> }> {
  const home = mkdtempSync(join(tmpdir(), 'switchboard-bench-agent-'));
  writeFileSync(join(home, 'config.yaml'), `version: 1\nagent:\n  provider: openai\n  baseUrl: ${provider.baseUrl}\n  model: bench-model\n`);
  try {
    const server = await startGatewayIn(paths, home);
    return { server, close: async () => { await server.stop(); rmSync(home, { recursive: true, force: true }); } };
  } catch (err) {
    rmSync(home, { recursive: true, force: true });
    throw err;
  }
}

/** An operator connection that collects each run's assistant deltas with their arrival times. */
export class AgentClient {
  private readonly arrivals = new Map<string, Array<[delta: string, at: number]>>();
  private readonly ends = new Map<string, () => void>();

  private constructor(readonly conn: BenchConnection) {
    conn.onEvent = (frame) => this.onEvent(frame, performance.now());
  }

  static async open(server: ServerProcess): Promise<AgentClient> {
    return new AgentClient(await BenchConnection.open({ url: server.url, token: server.token, scopes: ['operator.admin'] }));
  }

  /** Sends one message to `sessionKey`; resolves with the run's (delta, arrival) pairs when it ends. */
  async run(sessionKey: string, runId: string, timeoutMs = 60_000): Promise<Array<[string, number]>> {
    const ended = this.runEnd(runId, timeoutMs);
    const answer = await this.conn.request('chat.send', { sessionKey, message: `run ${runId}`, idempotencyKey: runId });
    if (!answer.ok) {
      this.forget(runId);
      throw new Error(`chat.send answered ${answer.error?.code}: ${answer.error?.message}`);
    }
    return ended;
  }

  close(): void {
    this.conn.close();
  }

  private runEnd(runId: string, timeoutMs: number): Promise<Array<[string, number]>> {
    this.arrivals.set(runId, []);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.forget(runId);
        reject(new Error(`run ${runId} did not end within ${timeoutMs} ms`));
      }, timeoutMs);
      this.ends.set(runId, () => {
        clearTimeout(timer);
        const got = this.arrivals.get(runId) ?? [];
        this.forget(runId);
        resolve(got);
      });
    });
  }

  private forget(runId: string): void {
    this.arrivals.delete(runId);
    this.ends.delete(runId);
  }

  private onEvent(frame: EventFrame, at: number): void {
    if (frame.event !== 'agent') return;
    const p = frame.payload as { runId: string; stream: string; data: { delta?: string; phase?: string } };
    if (p.stream === 'assistant' && p.data.delta) this.arrivals.get(p.runId)?.push([p.data.delta, at]);
    else if (p.stream === 'lifecycle' && (p.data.phase === 'end' || p.data.phase === 'error')) this.ends.get(p.runId)?.();
  }
}
