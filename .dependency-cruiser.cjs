// The layout's rules (docs/design.md §5), checked by `npm run lint`. Type-only imports count: a
// cycle through a type ties the modules as tightly as one through a value.

/** The Stripe emulator, a package of its own. */
const emulator = '^packages/stripe-emulator/';
/** Tests drive a surface from a feature's folder (a CLI test beside the catalog, for example). */
const tests = '\\.test(-helper)?\\.ts$';

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'A cycle makes two modules one: neither can be read, tested or moved alone.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'routing-is-pure',
      comment: 'The router decides from the context it is given; it imports nothing of ours.',
      severity: 'error',
      from: { path: '^src/routing/' },
      to: { path: '^(src|bench|packages)/', pathNot: '^src/routing/' },
    },
    {
      name: 'emulator-stands-alone',
      comment: 'The emulator is a product of its own: it and its tests import nothing of the app.',
      severity: 'error',
      from: { path: emulator },
      to: { path: '^(src|test|bench|packages)/', pathNot: emulator },
    },
    {
      name: 'features-below-surfaces',
      comment:
        'web/ and cli/ assemble the features; a feature imports neither (src/http/ has what routes share). src/server.ts is the lifecycle that starts the web app.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/(web|cli)/', '^src/server\\.ts$', tests] },
      to: { path: '^src/(web|cli)/' },
    },
    {
      name: 'db-below-features',
      comment: 'The database layer serves every feature and knows none of them.',
      severity: 'error',
      from: { path: '^src/db/' },
      to: { path: ['^src/[^/]+/', '^src/(services|server)\\.ts$'], pathNot: '^src/db/' },
    },
  ],
  options: {
    // TypeScript 7 has no compiler API for dependency-cruiser; swc parses the sources instead.
    parser: 'swc',
    includeOnly: '^(src|test|bench|packages)/',
    exclude: { path: '(^|/)(node_modules|dist)/' },
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    skipAnalysisNotInRules: true,
  },
};
