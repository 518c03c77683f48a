import type { App } from '../http/app.js';
import type { ConsoleDependencies } from './console-app.js';

/** The console's routing screens (issue 15). */
export function registerRoutingScreens(_app: App, _deps: ConsoleDependencies): void {}
