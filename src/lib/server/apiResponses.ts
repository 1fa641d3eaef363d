import { json } from '@sveltejs/kit';
import type { ZodError } from 'zod';
import { fieldErrors } from '../schemas/forms';

/** Bad input, as JSON: what is wrong overall and, per field, the zod messages. */
export function invalid(message: string, error?: ZodError, status = 400): Response {
	return json({ message, ...(error ? { issues: fieldErrors(error) } : {}) }, { status });
}
