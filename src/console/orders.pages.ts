import type { App } from '../http/app.js';
import type { ConsoleDependencies } from './console-app.js';

/** The console's orders screens (issue 15). */
export function registerOrderScreens(_app: App, _deps: ConsoleDependencies): void {}
