/** Pure routing (docs/design.md §2): which account takes a payment, and why. */
export * from './decision.js';
export { type CompiledRouting, compileRouting, route } from './route.js';
export * from './schema.js';
export * from './validate.js';
