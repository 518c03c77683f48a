import type { App } from '../http/app.js';
import type { ConsoleDependencies } from './console-app.js';

/** The console's users screens (issue 15). */
export function registerUserScreens(_app: App, _deps: ConsoleDependencies): void {}
