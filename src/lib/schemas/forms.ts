import type { ZodError } from 'zod';

export type FieldErrors = Record<string, string[]>;

/**
 * Messages keyed by the field's path ("name", "requirements.2.name"), so nested rows get
 * their errors beside them too.
 */
export function fieldErrors(error: ZodError): FieldErrors {
	const errors: FieldErrors = {};
	for (const issue of error.issues) {
		const key = issue.path.map(String).join('.') || 'form';
		(errors[key] ??= []).push(issue.message);
	}
	return errors;
}

export function formText(form: FormData, name: string): string {
	const value = form.get(name);
	return typeof value === 'string' ? value : '';
}

/** Settings given as JSON values, as the forms' fields would carry them (true → "on"). */
export function asFormValues(
	given: Record<string, string | number | boolean | null>
): Record<string, string> {
	return Object.fromEntries(
		Object.entries(given).map(([k, v]) => [
			k,
			typeof v === 'boolean' ? (v ? 'on' : '') : v === null ? '' : String(v)
		])
	);
}
