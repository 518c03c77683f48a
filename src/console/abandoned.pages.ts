import type { App } from '../http/app.js';
import type { ConsoleDependencies } from './console-app.js';

/** Abandoned checkouts: contact given, unpaid, and whether a recovery email went out. */
export function registerAbandonedScreens(_app: App, _deps: ConsoleDependencies): void {}
