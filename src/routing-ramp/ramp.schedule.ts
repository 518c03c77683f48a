/** How a ramp's schedule is written by people: steps "10,25,50,100", an interval "1d", "12h", "30m". */

const everyPattern = /^([1-9][0-9]{0,4})([dhm])$/;
const unitSeconds = { d: 86_400, h: 3_600, m: 60 } as const;

export const everyFormat = 'a whole number of days, hours or minutes: "1d", "12h" or "30m"';
export const stepsFormat =
  'strictly increasing whole percentages for the new account, from 1 to 100, e.g. "10,25,50,100"';

/** Seconds between steps, or undefined when the text is not "<n>d", "<n>h" or "<n>m". */
export function parseEvery(text: string): number | undefined {
  const match = everyPattern.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * unitSeconds[match[2] as keyof typeof unitSeconds];
}

/** "1d", "12h", "30m": the shortest way to write an interval parseEvery reads. */
export function formatEvery(seconds: number): string {
  if (seconds % unitSeconds.d === 0) return `${seconds / unitSeconds.d}d`;
  if (seconds % unitSeconds.h === 0) return `${seconds / unitSeconds.h}h`;
  return `${Math.round(seconds / unitSeconds.m)}m`;
}

/** The percentages of "10,25,50,100", or undefined when one is not a whole number. */
export function parseSteps(text: string): number[] | undefined {
  const parts = text.split(',').map((part) => part.trim());
  if (parts.some((part) => !/^[0-9]{1,3}$/.test(part))) return undefined;
  return parts.map(Number);
}

/** What is wrong with a list of steps, or null when it is a valid ramp. */
export function stepsProblem(steps: readonly number[]): string | null {
  if (steps.length === 0) return 'list at least one step';
  const outside = steps.find((step) => !Number.isInteger(step) || step < 1 || step > 100);
  if (outside !== undefined) return `${outside} is not a whole percentage from 1 to 100`;
  const back = steps.findIndex((step, index) => index > 0 && step <= (steps[index - 1] ?? 0));
  if (back > 0) return `${steps[back]} after ${steps[back - 1]}: each step must raise the share`;
  return null;
}
