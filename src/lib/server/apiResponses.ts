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
 * Bad input of a body whose parts (a job's `settings`, a freeze's `filter`) were read in the
 * same parse, answered as if each part were read on its own after the rest: the rest's problems
 * first; else the first failing part's, with its own message and its own field names.
 */
export function invalidParts(
	error: ZodError,
	message: string,
	parts: Record<string, string>
): Response {
	const partOf = (issue: ZodError['issues'][number]) =>
		issue.path.length > 1 && Object.hasOwn(parts, String(issue.path[0]))
			? String(issue.path[0])
			: null;
	const rest = error.issues.filter((issue) => partOf(issue) === null);
	if (rest.length > 0) return invalid(message, new ZodError(rest));
	const part = Object.keys(parts).find((name) => error.issues.some((i) => partOf(i) === name))!;
	const own = error.issues
		.filter((issue) => partOf(issue) === part)
		.map((issue) => ({ ...issue, path: issue.path.slice(1) }));
	return invalid(parts[part], new ZodError(own));
}
