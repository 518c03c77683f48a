// Reads `npm audit --json` on stdin and says what it found: exit 1 on any high or critical
// finding. A registry that refuses the audit endpoint is said plainly and is not a clean audit.
let text = '';
for await (const chunk of process.stdin) text += chunk;
let report;
try {
  report = JSON.parse(text);
} catch {
  console.error(`npm audit: no JSON answer: ${text.slice(0, 300)}`);
  process.exit(1);
}
const counts = report.metadata?.vulnerabilities;
if (!counts) {
  console.log(
    `npm audit: NOT CHECKED, the registry gave no advisories (${report.message ?? report.error?.summary ?? 'no reason given'}).`,
  );
  process.exit(0);
}
const line = ['critical', 'high', 'moderate', 'low', 'info']
  .map((level) => `${counts[level] ?? 0} ${level}`)
  .join(', ');
console.log(`npm audit (production dependencies): ${line}.`);
const serious = Object.entries(report.vulnerabilities ?? {}).filter(([, finding]) =>
  ['high', 'critical'].includes(finding.severity),
);
for (const [name, finding] of serious) {
  console.log(
    `  ${finding.severity}: ${name} ${finding.range} (fix: ${JSON.stringify(finding.fixAvailable)})`,
  );
}
process.exit(serious.length > 0 ? 1 : 0);
