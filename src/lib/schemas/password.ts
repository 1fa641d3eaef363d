import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary as commonWords } from '@zxcvbn-ts/language-common';
import { dictionary as englishWords, translations } from '@zxcvbn-ts/language-en';
import type { RefinementCtx } from 'zod';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, PASSWORD_MIN_SCORE } from './passwordRule';

// Built on first use: the dictionaries take a quarter of a second to load.
let estimator: ZxcvbnFactory | undefined;

/**
 * What is wrong with a password, as messages to show beside its field; none when it may be
 * used. Strength is zxcvbn's estimate of how many guesses it takes, which a length or
 * character-class rule cannot tell ("aaaaaaaaaa" is ten characters). `userInputs` are the
 * person's own names, which make a password easy to guess for anyone who knows them.
 */
export function passwordProblems(password: string, userInputs: string[] = []): string[] {
	if (password.length < PASSWORD_MIN_LENGTH) {
		return [`Use at least ${PASSWORD_MIN_LENGTH} characters.`];
	}
	if (password.length > PASSWORD_MAX_LENGTH) {
		return [`Use at most ${PASSWORD_MAX_LENGTH} characters.`];
	}
	estimator ??= new ZxcvbnFactory({
		dictionary: { ...commonWords, ...englishWords },
		graphs: adjacencyGraphs,
		translations
	});
	const words = userInputs.flatMap((input) => input.toLowerCase().split(/\s+/)).filter(Boolean);
	const result = estimator.check(password, words);
	if (result.score >= PASSWORD_MIN_SCORE) return [];
	const { warning, suggestions } = result.feedback;
	return ['This password is too easy to guess.', ...(warning ? [warning] : []), ...suggestions];
}

/** Adds the password's problems to a form's issues, beside its `password` field. */
export function checkPassword(ctx: RefinementCtx, password: string, userInputs: string[]): void {
	for (const message of passwordProblems(password, userInputs)) {
		ctx.addIssue({ code: 'custom', path: ['password'], message });
	}
}
