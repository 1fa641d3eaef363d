import { json } from '@sveltejs/kit';
import { ZodError } from 'zod';
import { fieldErrors } from '../schemas/forms';

/** Bad input, as JSON: what is wrong overall and, per field, the zod messages. */
export function invalid(message: string, error?: ZodError, status = 400): Response {
	return json({ message, ...(error ? { issues: fieldErrors(error) } : {}) }, { status });
}

/** The request's body as JSON, or the 400 that says it is not. */
export async function bodyOf(
	request: Request
): Promise<{ body: unknown } | { response: Response }> {
	try {
		return { body: await request.json() };
	} catch {
		return { response: invalid('The body is not JSON.') };
	}
}

/**
 * Bad input in a body whose nested parts are read like forms of their own (a filter, a
 * fine-tune): the body's own problems first, under `message`; else those of the first part
 * that has any, under its message and keyed by field as its form keys them. A part that is not
 * an object at all is the body's problem.
 */
export function invalidInParts(
	error: ZodError,
	message: string,
	parts: [path: string, message: string][]
): Response {
	const within = (issue: ZodError['issues'][number], part: string) => {
		const at = part.split('.');
		return issue.path.length > at.length && at.every((key, i) => String(issue.path[i]) === key);
	};
	const own = error.issues.filter((issue) => !parts.some(([part]) => within(issue, part)));
	if (own.length > 0) return invalid(message, new ZodError(own));
	for (const [part, partMessage] of parts) {
		const depth = part.split('.').length;
		const issues = error.issues
			.filter((issue) => within(issue, part))
			.map((issue) => ({ ...issue, path: issue.path.slice(depth) }));
		if (issues.length > 0) return invalid(partMessage, new ZodError(issues));
	}
	return invalid(message, error);
}
