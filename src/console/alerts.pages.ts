import type { App } from '../http/app.js';
import type { ConsoleDependencies } from './console-app.js';

/** The console's alerts screens (issue 15). */
export function registerAlertScreens(_app: App, _deps: ConsoleDependencies): void {}
