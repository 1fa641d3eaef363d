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

/*
 * A field of a JSON body, as its form field would carry it: each helper says the JSON kind it
 * takes (null is a blank field) and what it takes in words; the form's own schema then reads
 * it, through formFromJson, with its rules and messages.
 */

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

/** A text field's JSON value: the text, or null for a blank field. */
export const jsonText = (rule: string, message = 'Give it as text.') =>
	z.union([z.string(), z.null()], message).optional().describe(rule);

/**
 * A choice's JSON value: one of `choices` (null too when the blank "" is one). The document
 * lists them, but any text passes to the form's own schema, which refuses another with its
 * message beside the other fields' problems instead of before them.
 */
export const jsonChoice = (choices: readonly string[], rule: string) =>
	z
		.union([z.string(), z.null()], `Give one of: ${choices.filter(Boolean).join(', ')}.`)
		.optional()
		.meta({
			description: rule,
			enum: choices.includes('') ? [...choices, null] : [...choices]
		});

/** A form's fields as a JSON body gives them, each of a kind the helpers above take. */
export type JsonFields = z.ZodObject<
	Record<string, z.ZodType<string | number | boolean | null | undefined>>
>;

/**
 * A form as a JSON body gives it, field by field: each read as its form field would carry it,
 * over `blanks` (what the form holds for a field left out), then checked by the form's own
 * schema with its rules and messages, so a script and the page are held to the same. A body
 * left out is an empty one.
 */
export function formFromJson<Out>(
	fields: JsonFields,
	blanks: Record<string, string>,
	form: z.ZodType<Out>
) {
	return fields
		.prefault({})
		.transform((given): unknown => ({ ...blanks, ...asFormValues(given) }))
		.pipe(form);
}
