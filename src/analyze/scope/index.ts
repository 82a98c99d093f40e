/** Scope and blast radius of an indicator, its attack vector and its attack chain. */
export { narrate, TACTIC_ORDER } from './chain.ts';
export { type ScopeOptions, scopeOf } from './scope.ts';
export type * from './types.ts';
