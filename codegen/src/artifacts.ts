/**
 * Everything `pnpm codegen` produces, as data: each artifact is a repo-relative path and its full
 * text. Writing and checking compare the same in-memory output with the files, so `--check` can
 * never disagree with what a regeneration would write.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { renderMethodReference, spliceMethodReference } from './docs.js';
import { renderKotlin } from './kotlin.js';
import { renderPython } from './python.js';
import { buildProtocolSchema, type ProtocolInput } from './schema.js';
import { renderSwift } from './swift.js';
import { renderTypeScript } from './typescript.js';

/** Where the generated files live, relative to the repository root. */
export const GENERATED_DIR = 'codegen/generated';
/** The hand-written document whose method reference block is generated. */
export const PROTOCOL_DOC = 'docs/protocol.md';

/** One output file: repo-relative path and content. */
export interface Artifact {
  readonly path: string;
  readonly content: string;
}

/**
 * Renders every artifact from `input`. `protocolDoc` is the current docs/protocol.md text (only its
 * generated block is replaced). Throws if the tables cannot be generated (name clash, a code
 * generator that renamed a type, missing doc markers).
 */
export async function generateArtifacts(input: ProtocolInput, protocolDoc: string): Promise<Artifact[]> {
  const doc = buildProtocolSchema(input);
  const [ts, swift, kotlin, python] = await Promise.all([renderTypeScript(doc), renderSwift(doc), renderKotlin(doc), renderPython(doc)]);
  return [
    { path: `${GENERATED_DIR}/protocol.schema.json`, content: `${JSON.stringify(doc, null, 2)}\n` },
    { path: `${GENERATED_DIR}/protocol.d.ts`, content: ts },
    { path: `${GENERATED_DIR}/SwitchboardProtocol.swift`, content: swift },
    { path: `${GENERATED_DIR}/SwitchboardProtocol.kt`, content: kotlin },
    { path: `${GENERATED_DIR}/switchboard_protocol.py`, content: python },
    { path: PROTOCOL_DOC, content: spliceMethodReference(protocolDoc, renderMethodReference(doc)) },
  ];
}

/** Reads docs/protocol.md under `root`. */
export function readProtocolDoc(root: string): string {
  return readFileSync(join(root, PROTOCOL_DOC), 'utf8');
}

/**
 * The files under `root` that differ from `artifacts`, are missing, or sit in the generated folder
 * without being generated any more. Each entry is a repo-relative path with the reason.
 */
export function staleArtifacts(root: string, artifacts: readonly Artifact[]): string[] {
  const stale: string[] = [];
  for (const a of artifacts) {
    const file = join(root, a.path);
    if (!existsSync(file)) stale.push(`${a.path} (missing)`);
    else if (readFileSync(file, 'utf8') !== a.content) stale.push(`${a.path} (out of date)`);
  }
  const generated = new Set(artifacts.map((a) => a.path));
  const dir = join(root, GENERATED_DIR);
  if (existsSync(dir)) {
    for (const name of readdirSync(dir).sort()) {
      const path = `${GENERATED_DIR}/${name}`;
      if (!generated.has(path)) stale.push(`${path} (not generated any more; delete it)`);
    }
  }
  return stale;
}

/** Writes the artifacts that changed; returns their paths. */
export function writeArtifacts(root: string, artifacts: readonly Artifact[]): string[] {
  const written: string[] = [];
  for (const a of artifacts) {
    const file = join(root, a.path);
    if (existsSync(file) && readFileSync(file, 'utf8') === a.content) continue;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, a.content);
    written.push(a.path);
  }
  return written;
}
