import type { App } from '../http/app.js';
import type { ConsoleDependencies } from './console-app.js';

/** Products: the list, and a form per product (prices per currency, one-time or recurring). */
export function registerProductScreens(_app: App, _deps: ConsoleDependencies): void {}
