import type { App } from '../http/app.js';
import type { ConsoleDependencies } from './console-app.js';

/** Funnels: the editor (steps, their blocks and a live preview at phone and desktop width). */
export function registerFunnelScreens(_app: App, _deps: ConsoleDependencies): void {}
