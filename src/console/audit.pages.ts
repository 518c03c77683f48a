import type { App } from '../http/app.js';
import type { ConsoleDependencies } from './console-app.js';

/** The console's audit screens (issue 15). */
export function registerAuditScreens(_app: App, _deps: ConsoleDependencies): void {}
