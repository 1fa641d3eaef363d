import prettier from 'eslint-config-prettier';
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

export default ts.config(
	{
		ignores: [
			'build/',
			'.svelte-kit/',
			'drizzle/',
			'data/',
			'.e2e/',
			'test-results/',
			'playwright-report/'
		]
	},
	js.configs.recommended,
	...ts.configs.recommended,
	...svelte.configs.recommended,
	prettier,
	...svelte.configs.prettier,
	{
		languageOptions: { globals: { ...globals.browser, ...globals.node } },
		rules: { 'no-undef': 'off' }
	},
	{
		// Domain code is asynchronous over the one interface in db/: no driver, no dialect module,
		// no synchronous terminal of a query.
		files: ['src/**/*.ts'],
		ignores: ['src/lib/server/db/**'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					patterns: [
						{
							group: ['better-sqlite3', 'pg', 'drizzle-orm/*'],
							message: 'Reach the database through $lib/server/db only.'
						}
					]
				}
			],
			'no-restricted-syntax': [
				'error',
				{
					selector:
						'CallExpression[arguments.length=0] > MemberExpression.callee[property.name=/^(get|all|run)$/]',
					message:
						'A synchronous query terminal: await the query instead (rows), or use db.transaction for writes.'
				}
			]
		}
	},
	{
		files: ['**/*.svelte', '**/*.svelte.ts', '**/*.svelte.js'],
		languageOptions: {
			parserOptions: {
				projectService: true,
				extraFileExtensions: ['.svelte'],
				parser: ts.parser,
				svelteConfig
			}
		}
	}
);
