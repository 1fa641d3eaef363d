import { json } from '@sveltejs/kit';
import type { ZodError } from 'zod';
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
