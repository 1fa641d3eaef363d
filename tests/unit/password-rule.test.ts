import { describe, expect, it } from 'vitest';
import {
	changePasswordSchema,
	newUserSchema,
	resetPasswordSchema,
	setupSchema
} from '$lib/schemas/auth';
import { passwordProblems } from '$lib/schemas/password';

const person = { username: 'ada', displayName: 'Ada Lovelace', role: 'annotator' } as const;

describe('the password rule', () => {
	it.each(['correct-horse-battery', 'correct-horse-1', 'battery-staple-2'])(
		'takes %j, the password the tests log in with',
		(password) => {
			expect(passwordProblems(password)).toEqual([]);
		}
	);

	it.each([
		['aaaaaaaaaa', 'Repeated characters like "aaa" are easy to guess.'],
		['password123', 'This is a commonly used password.'],
		['qwertyuiop12', 'This is similar to a commonly used password.'],
		['1234567890', 'This is a frequently used password.']
	])('refuses %j and says why', (password, warning) => {
		const problems = passwordProblems(password);
		expect(problems[0]).toBe('This password is too easy to guess.');
		expect(problems).toContain(warning);
		expect(problems.length).toBeGreaterThan(2);
	});

	it('keeps the minimum length, whatever the strength', () => {
		expect(passwordProblems('x7#Kq!z')).toEqual(['Use at least 10 characters.']);
	});

	it("refuses a password made of the person's own name", () => {
		expect(passwordProblems('mxyzptlk-2024', ['mxyzptlk', 'Mr Mxyzptlk'])).toEqual([
			'This password is too easy to guess.',
			'There should not be any personal or page related data.',
			'Add more words that are less common.'
		]);
		expect(passwordProblems('mxyzptlk-2024')).toEqual([]);
	});

	it('is applied by every form that sets a password, beside the password field', () => {
		const weak = 'aaaaaaaaaa';
		const results = [
			setupSchema.safeParse({ ...person, password: weak, confirmPassword: weak }),
			newUserSchema.safeParse({ ...person, password: weak }),
			resetPasswordSchema(['ada']).safeParse({ userId: 'u1', password: weak }),
			changePasswordSchema(['ada']).safeParse({
				currentPassword: 'anything',
				password: weak,
				confirmPassword: weak
			})
		];
		for (const result of results) {
			expect(result.success).toBe(false);
			const paths = result.error!.issues.map((issue) => issue.path.join('.'));
			expect(new Set(paths)).toEqual(new Set(['password']));
		}
	});

	it('checks the password against the names given in the same form', () => {
		const result = newUserSchema.safeParse({
			username: 'mxyzptlk',
			displayName: 'Mr Mxyzptlk',
			role: 'admin',
			password: 'mxyzptlk-2024'
		});
		expect(result.success).toBe(false);
		expect(result.error!.issues[0]).toMatchObject({
			path: ['password'],
			message: 'This password is too easy to guess.'
		});
	});
});
