import type { App } from '../http/app.js';
import type { ConsoleDependencies } from './console-app.js';

/** Coupons: codes with a percent or an amount off, their limits and their redemptions. */
export function registerCouponScreens(_app: App, _deps: ConsoleDependencies): void {}
