// The top of a V8 CPU profile (`node --cpu-prof`, or `npm run bench:checkout -- --cpu-prof <dir>`):
// `node bench/profile-top.mjs <file.cpuprofile> [entries]`. Prints where the busy main thread's
// time went (idle excluded): by area (a package, a folder of the app, Node's own code, the garbage
// collector), then by function, each as self time, the share of busy time.
import { readFileSync } from 'node:fs';

const [file, entriesArgument] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/profile-top.mjs <file.cpuprofile> [entries, default 25]');
  process.exit(2);
}
const entries = Number(entriesArgument ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8'));

const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const selfMicros = new Map();
for (let index = 0; index < profile.samples.length; index++) {
  const id = profile.samples[index];
  selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
}

/** Where a function lives, in words a reader of this repository knows. */
function areaOf(frame) {
  const url = frame.url ?? '';
  if (!url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  if (url.startsWith('node:')) return 'node (internal)';
  const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (inPackage) return inPackage[1];
  const inApp = /\/dist\/([^/]+)\//.exec(url);
  if (inApp) return `switchyard ${inApp[1]}/`;
  if (url.includes('/bench/')) return 'bench';
  return url;
}

function nameOf(frame) {
  const url = frame.url ?? '';
  const where = url
    ? `${url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/')}:${frame.lineNumber + 1}`
    : '';
  return `${frame.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
}

const byArea = new Map();
const byFunction = new Map();
let busy = 0;
let idle = 0;
for (const [id, micros] of selfMicros) {
  const frame = nodes.get(id).callFrame;
  if (frame.functionName === '(idle)') {
    idle += micros;
    continue;
  }
  busy += micros;
  const area = areaOf(frame);
  byArea.set(area, (byArea.get(area) ?? 0) + micros);
  const name = nameOf(frame);
  byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
}

function printTop(title, totals) {
  console.log(`\n${title}`);
  const sorted = [...totals].sort((left, right) => right[1] - left[1]).slice(0, entries);
  for (const [name, micros] of sorted) {
    console.log(`${((micros / busy) * 100).toFixed(1).padStart(5)} %  ${name}`);
  }
}

const seconds = (micros) => (micros / 1e6).toFixed(1);
console.log(
  `${file}: ${seconds(busy + idle)} s profiled, ${seconds(busy)} s busy, ${seconds(idle)} s idle`,
);
printTop('Self time by area, share of busy time:', byArea);
printTop('Self time by function, share of busy time:', byFunction);
