// ESLint: neostandard (standard's style, for TypeScript too) over the whole project.
import neostandard from 'neostandard'

export default [
  ...neostandard({
    ts: true,
    ignores: ['dist/**', 'coverage/**', 'node_modules/**', 'database/**', 'docs/**', '.explore/**']
  }),
  {
    rules: {
      // TypeBox's `const X = Type.Object(…)` with `type X = Static<typeof X>` is a name used twice on purpose.
      '@typescript-eslint/no-redeclare': 'off',
      // The contract's names: order_by, avatar_url.
      camelcase: ['error', { properties: 'never', allow: ['^order_by$', '^avatar_url$'] }],
      // `void promise` marks a promise deliberately not awaited.
      'no-void': ['error', { allowAsStatement: true }]
    }
  }
]
