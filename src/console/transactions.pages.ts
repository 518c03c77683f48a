import type { App } from '../http/app.js';
import type { ConsoleDependencies } from './console-app.js';

/** The console's transactions screens (issue 15). */
export function registerTransactionScreens(_app: App, _deps: ConsoleDependencies): void {}
