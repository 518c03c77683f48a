import type { App } from '../http/app.js';
import type { ConsoleDependencies } from './console-app.js';

/** A funnel's numbers per step and day, with charts, and its A/B tests. */
export function registerFunnelStatsScreens(_app: App, _deps: ConsoleDependencies): void {}
