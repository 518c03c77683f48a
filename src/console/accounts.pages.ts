import type { App } from '../http/app.js';
import type { ConsoleDependencies } from './console-app.js';

/** The console's accounts screens (issue 15). */
export function registerAccountScreens(_app: App, _deps: ConsoleDependencies): void {}
