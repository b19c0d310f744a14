#!/usr/bin/env node
/**
 * The fake OpenAI-compatible provider of the agent cases, as its own process so that writing 5,000
 * deltas a second does not compete with the client that times them (agent-fixture.ts starts it).
 *
 *   node bench/dist/fake-provider.js '{"deltasPerRun":100,"intervalMs":40}'
 *
 * Prints `{"port":N}` on stdout once listening. Each chat completion request streams
 * `deltasPerRun` chunks `<i>.<t> ` (base 36, about 15 characters, a few tokens' worth), where `t` is
 * `process.hrtime.bigint()` just before the chunk is written: the monotonic clock every process on
 * the machine shares, so the receiver can time the delta. Exits when its stdin closes (the parent is
 * gone) or on SIGTERM.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Script {
  deltasPerRun: number;
  /** Pause between two deltas of a run; 0 streams as fast as the gateway reads. */
  intervalMs: number;
}

const script = JSON.parse(process.argv[2] ?? '{}') as Script;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const chunk = (delta: Record<string, unknown>, finish: string | null) => `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => { body += c.toString(); });
  req.on('end', () => {
    JSON.parse(body); // a well-formed request; what it asks does not change the script
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    void (async () => {
      for (let i = 0; i < script.deltasPerRun && !res.destroyed; i++) {
        if (i > 0) await (script.intervalMs > 0 ? sleep(script.intervalMs) : new Promise((r) => setImmediate(r)));
        res.write(chunk({ content: `${i.toString(36)}.${process.hrtime.bigint().toString(36)} ` }, null));
      }
      res.end(`${chunk({}, 'stop')}data: [DONE]\n\n`);
    })();
  });
});

server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`));
const stop = () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.stdin.on('end', stop);
process.stdin.resume();
process.once('SIGTERM', stop);
