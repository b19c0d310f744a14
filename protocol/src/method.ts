/**
 * The shape of one entry in the method table and the event table. Area files declare entries with
 * {@link method} and {@link event}; `methods.ts` and `events.ts` merge them into the two tables that
 * dispatch, validation, scope checks, the typed client, codegen and the docs all read.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import type { Access } from './scopes.js';

/** One RPC method. */
export interface MethodSpec<
  P extends TSchema = TSchema,
  R extends TSchema = TSchema,
  F extends TSchema | undefined = TSchema | undefined,
> {
  /** Schema of `req.params`. */
  readonly params: P;
  /** Schema of the (first) `res.payload`. */
  readonly result: R;
  /**
   * For methods that answer twice with the same request id (`agent`: an ack, then the final
   * result), the schema of the second `res.payload`.
   */
  readonly final?: F;
  /** The scope (or `node` role) a caller needs. */
  readonly access: Access;
  /** True when the method changes the world; its params then require `idempotencyKey`. */
  readonly sideEffect: boolean;
  /** One line for docs and `--help`. */
  readonly summary: string;
}

/** One server-pushed event. */
export interface EventSpec<T extends TSchema = TSchema> {
  readonly payload: T;
  /** Scope a receiver needs; absent for transport events everyone gets (tick, presence, health, shutdown). */
  readonly access?: Access;
  /** A slow consumer skips it (its `seq` shows the gap) instead of being disconnected. */
  readonly droppable: boolean;
  /** Sent to one connection only and without `seq` (`connect.challenge`, `node.invoke.request`). */
  readonly targeted?: boolean;
  readonly summary: string;
}

/** Declares a method entry, keeping its schema types for inference. */
export function method<P extends TSchema, R extends TSchema, F extends TSchema | undefined = undefined>(
  spec: MethodSpec<P, R, F>,
): MethodSpec<P, R, F> {
  return spec;
}

/** Declares an event entry, keeping its payload type for inference. */
export function event<T extends TSchema>(spec: EventSpec<T>): EventSpec<T> {
  return spec;
}

/** The params type of a method entry. */
export type ParamsOf<S> = S extends MethodSpec<infer P, TSchema, TSchema | undefined> ? Static<P> : never;
/** The (first) result type of a method entry. */
export type ResultOf<S> = S extends MethodSpec<TSchema, infer R, TSchema | undefined> ? Static<R> : never;
/** The final-result type of a two-answer method, or `never`. */
export type FinalOf<S> = S extends MethodSpec<TSchema, TSchema, infer F> ? (F extends TSchema ? Static<F> : never) : never;
/** The payload type of an event entry. */
export type PayloadOf<S> = S extends EventSpec<infer T> ? Static<T> : never;
