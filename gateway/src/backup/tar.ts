/**
 * The smallest tar (ustar) the backup needs: regular files with short names, written and read as
 * streams through gzip, so a backup is a `.tar.gz` that `tar -tzf` can list. Neither side holds more
 * than one 512-byte block plus one file chunk in memory.
 */
import { createReadStream, type WriteStream } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';

const BLOCK = 512;

/** One file to put into an archive. */
export interface TarSource {
  /** A plain file name: no slashes, at most 100 bytes. */
  name: string;
  /** The file to copy in, or its content. */
  path?: string;
  data?: Buffer;
  size: number;
  mode?: number;
}

function header(name: string, size: number, mode: number, mtime: number): Buffer {
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(name)) throw new Error(`tar entry name not allowed: ${name}`);
  const h = Buffer.alloc(BLOCK);
  const put = (value: string, offset: number, length: number) => h.write(value, offset, length, 'ascii');
  const octal = (n: number, length: number) => n.toString(8).padStart(length - 1, '0') + '\0';
  put(name, 0, 100);
  put(octal(mode, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(Math.floor(mtime / 1000), 12), 136, 12);
  put('        ', 148, 8);
  put('0', 156, 1);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const byte of h) sum += byte;
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return h;
}

async function* tarStream(sources: TarSource[], mtime: number): AsyncGenerator<Buffer> {
  for (const src of sources) {
    yield header(src.name, src.size, src.mode ?? 0o600, mtime);
    if (src.data) yield src.data;
    else if (src.path) for await (const chunk of createReadStream(src.path)) yield chunk as Buffer;
    const pad = (BLOCK - (src.size % BLOCK)) % BLOCK;
    if (pad) yield Buffer.alloc(pad);
  }
  yield Buffer.alloc(BLOCK * 2);
}

/** Writes `sources` as a gzipped tar to `out` (an open stream that this closes). */
export async function writeTarGz(out: WriteStream, sources: TarSource[], mtime = Date.now()): Promise<void> {
  await pipeline(Readable.from(tarStream(sources, mtime)), createGzip(), out);
}

/** Receives each entry of an archive as a sequence of chunks. */
export interface TarSink {
  /** An entry starts; throw to refuse the archive (the read then fails). */
  begin(name: string, size: number): void;
  chunk(data: Buffer): void;
  end(): void;
}

/** Reads a gzipped tar file and streams its regular files into `sink`. Throws on a malformed archive. */
export async function readTarGz(file: string, sink: TarSink): Promise<void> {
  let pending: Buffer = Buffer.alloc(0);
  let remaining = 0;
  let padding = 0;
  let finished = false;
  const parser = new Writable({
    write(chunk: Buffer, _enc, done) {
      try {
        pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        while (!finished) {
          if (remaining > 0) {
            if (pending.length === 0) break;
            const take = Math.min(remaining, pending.length);
            sink.chunk(pending.subarray(0, take));
            pending = pending.subarray(take);
            remaining -= take;
            if (remaining === 0) sink.end();
            continue;
          }
          if (padding > 0) {
            const take = Math.min(padding, pending.length);
            pending = pending.subarray(take);
            padding -= take;
            if (padding > 0) break;
            continue;
          }
          if (pending.length < BLOCK) break;
          const h = pending.subarray(0, BLOCK);
          pending = pending.subarray(BLOCK);
          if (h.every((b) => b === 0)) { finished = true; break; }
          const { name, size, type } = parseHeader(h);
          if (type !== '0' && type !== '\0') throw new Error(`unexpected tar entry type "${type}" for ${name}`);
          sink.begin(name, size);
          remaining = size;
          padding = (BLOCK - (size % BLOCK)) % BLOCK;
          if (size === 0) sink.end();
        }
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    final(done) {
      done(finished ? undefined : new Error('the archive ends early (truncated file?)'));
    },
  });
  await pipeline(createReadStream(file), createGunzip(), parser);
}

function parseHeader(h: Buffer): { name: string; size: number; type: string } {
  const text = (offset: number, length: number) => h.toString('ascii', offset, offset + length).replace(/\0.*$/s, '');
  const stored = parseInt(text(148, 8).trim(), 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
  if (stored !== sum) throw new Error('corrupt tar header (checksum mismatch)');
  const size = parseInt(text(124, 12).trim(), 8);
  if (!Number.isSafeInteger(size) || size < 0) throw new Error('corrupt tar header (size)');
  return { name: text(0, 100), size, type: h.toString('ascii', 156, 157) };
}

