import type { App } from '../http/app.js';
import type { ConsoleDependencies } from './console-app.js';

/** The console's doctor screens (issue 15). */
export function registerDoctorScreens(_app: App, _deps: ConsoleDependencies): void {}
