import { z, type ZodError } from 'zod';

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

/**
 * Settings given as JSON values, as the forms' fields would carry them (true → "on", null → a
 * blank field); a field left out is left out.
 */
export function asFormValues(
	given: Record<string, string | number | boolean | null | undefined>
): Record<string, string> {
	return Object.fromEntries(
		Object.entries(given)
			.filter(([, v]) => v !== undefined)
			.map(([k, v]) => [k, typeof v === 'boolean' ? (v ? 'on' : '') : v === null ? '' : String(v)])
	);
}

/** A number field's JSON value: the number, its text, or null for a blank field. */
export const jsonNumber = (rule: string) =>
	z
		.union([z.number(), z.string(), z.null()], 'Give a number, or its text.')
		.optional()
		.describe(rule);

/** A checkbox's JSON value: true or false (or "on" and "" as the form sends it). */
export const jsonCheckbox = (rule: string) =>
	z
		.union([z.boolean(), z.enum(['on', '']), z.null()], 'Give true or false.')
		.optional()
		.describe(rule);
