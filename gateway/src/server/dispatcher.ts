/**
 * Turns one request frame from an open connection into one (or, for two-answer methods, two)
 * responses: method lookup, role and scope check, params validation, the handler, and the single
 * boundary where any non-GatewayError throw becomes INTERNAL_ERROR. A handler error never closes
 * the connection.
 */
import { randomUUID } from 'node:crypto';
import {
  GatewayError, HANDSHAKE_METHOD, isMethodName, methods, scopeSatisfies,
  type CallableMethod, type MethodSpec, type RequestFrame,
} from '@switchboard/protocol';
import { formatValidationErrors, type ProtocolValidators } from '@switchboard/protocol/validators';
import type { GatewayServices, HandlerTable, MethodContext } from '../context.js';
import type { Log } from '../log.js';
import type { CallerInfo, Connection } from './connection.js';

/**
 * Wraps a handler call; the idempotency ledger plugs in here for side-effect methods. `run` calls
 * the handler with the context it is given (the ledger passes one whose `commit` records the answer).
 */
export type Invoker = (ctx: MethodContext, spec: MethodSpec, params: unknown, run: (ctx: MethodContext) => unknown) => unknown;

const directInvoker: Invoker = (ctx, _spec, _params, run) => run(ctx);

export class Dispatcher {
  private invoker: Invoker = directInvoker;
  private readonly emit: MethodContext['emit'];

  constructor(
    private readonly services: GatewayServices,
    private readonly handlers: HandlerTable,
    private readonly validators: ProtocolValidators,
    private readonly drainSignal: AbortSignal,
    private readonly log: Log,
  ) {
    this.emit = services.broadcaster.broadcast.bind(services.broadcaster);
  }

  /** Replaces how handlers are invoked (e.g. to route side effects through the idempotency ledger). */
  setInvoker(invoker: Invoker): void {
    this.invoker = invoker;
  }

  /** Checks whether the caller may call `name`; throws FORBIDDEN if not. */
  authorize(caller: CallerInfo, name: string, spec: MethodSpec): void {
    // Default deny: an entry that declares no access (should the table ever hold one) needs admin.
    const access = spec.access ?? 'operator.admin';
    if (access === 'node') {
      if (caller.role !== 'node') {
        throw new GatewayError('FORBIDDEN', `${name} is only for nodes`, { details: { code: 'ROLE_NOT_ALLOWED', requiredRole: 'node' } });
      }
      return;
    }
    if (caller.role !== 'operator') {
      throw new GatewayError('FORBIDDEN', `${name} is only for operators`, { details: { code: 'ROLE_NOT_ALLOWED', requiredRole: 'operator' } });
    }
    if (!scopeSatisfies(caller.scopes, access)) {
      throw new GatewayError('FORBIDDEN', `missing scope: ${access}`, {
        details: { code: 'MISSING_SCOPE', missingScope: access, requiredScopes: [access] },
      });
    }
  }

  /**
   * Handles one validated request frame from an open connection. Synchronous handlers are answered
   * in the same turn; a promise is answered when it settles (responses may then arrive out of order).
   */
  dispatch(conn: Connection, frame: RequestFrame): void {
    const caller = conn.caller!;
    const name = frame.method;
    let result: unknown;
    try {
      if (name === HANDSHAKE_METHOD) throw new GatewayError('INVALID_REQUEST', 'already connected: connect is only valid as the first request');
      if (!isMethodName(name)) throw new GatewayError('INVALID_REQUEST', `unknown method: ${name}`);
      const spec = methods[name] as MethodSpec;
      this.authorize(caller, name, spec);
      const params = frame.params ?? {};
      const validate = this.validators.params.get(name)!;
      if (!validate(params)) {
        throw new GatewayError('INVALID_REQUEST', `invalid ${name} params: ${formatValidationErrors(validate.errors)}`);
      }
      const method = name as CallableMethod;
      const handler = this.handlers[method] as (ctx: MethodContext, params: unknown) => unknown;
      const ctx = this.context(conn, caller, frame.id, method);
      result = this.invoker(ctx, spec, params, (c) => handler(c, params));
    } catch (err) {
      return this.fail(conn, frame.id, name, err);
    }
    if (isPromiseLike(result)) {
      result.then((value) => conn.sendResponse(frame.id, value), (err) => this.fail(conn, frame.id, name, err));
    } else {
      conn.sendResponse(frame.id, result);
    }
  }

  private fail(conn: Connection, id: string, method: string, err: unknown): void {
    conn.sendError(id, this.toGatewayError(err, method).toShape());
    if (!conn.recordFailure(Date.now())) {
      this.log.warn({ conn: conn.id, addr: conn.peer.clientAddress }, 'closing connection: too many failed requests');
      conn.close(1008, 'too many failed requests');
    }
  }

  /** The one boundary where unexpected throws become INTERNAL_ERROR (logged with a ref, never sent raw). */
  toGatewayError(err: unknown, method: string): GatewayError {
    if (err instanceof GatewayError) return err;
    const ref = randomUUID().slice(0, 8);
    this.log.error({ err, method, ref }, 'handler failed');
    return new GatewayError('INTERNAL_ERROR', `internal error while handling ${method} (ref ${ref})`, { details: { ref } });
  }

  private context(conn: Connection, caller: CallerInfo, requestId: string, method: CallableMethod): MethodContext {
    const services = this.services;
    return {
      caller,
      services,
      log: this.log,
      signal: this.drainSignal,
      requestId,
      method,
      emit: this.emit,
      sendFinal: (payload: unknown) => {
        if (!('final' in methods[method])) return;
        conn.sendResponse(requestId, payload);
      },
      commit: (effect) => services.store.commit(effect),
    };
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
