/**
 * Roles and operator scopes, and the one rule for whether a set of granted scopes satisfies a
 * required one: `operator.admin` covers everything, `operator.write` implies `operator.read`.
 */

export const Roles = ['operator', 'node'] as const;
export type Role = (typeof Roles)[number];

export const OperatorScopes = [
  'operator.admin',
  'operator.read',
  'operator.write',
  'operator.approvals',
  'operator.pairing',
] as const;
export type OperatorScope = (typeof OperatorScopes)[number];

/**
 * What a method or event needs: an operator scope, or `node` for methods only a node may call.
 */
export type Access = OperatorScope | 'node';

/** Every scope an operator gets when nothing narrower is asked for (the CLI's default). */
export const ALL_OPERATOR_SCOPES: readonly OperatorScope[] = OperatorScopes;

export function isRole(value: unknown): value is Role {
  return value === 'operator' || value === 'node';
}

export function isOperatorScope(value: unknown): value is OperatorScope {
  return typeof value === 'string' && (OperatorScopes as readonly string[]).includes(value);
}

/** Whether `granted` satisfies `required` under the implication rules above. */
export function scopeSatisfies(granted: readonly string[], required: OperatorScope): boolean {
  if (granted.includes('operator.admin')) return true;
  if (granted.includes(required)) return true;
  if (required === 'operator.read' && granted.includes('operator.write')) return true;
  return false;
}

/** Whether every scope in `requested` is covered by `granted`. */
export function scopesCover(granted: readonly string[], requested: readonly string[]): boolean {
  return requested.every((s) => isOperatorScope(s) && scopeSatisfies(granted, s));
}
