import type { SchemaValidator } from '$lib/jsonSchema';
import type { ContentKind } from '$lib/schemas/project';

/** Why a repaired output cannot be saved yet, or null; the server checks the same again. */
export function draftProblem(
	text: string,
	kind: ContentKind,
	validator: SchemaValidator | null
): string | null {
	if (text.trim() === '') return 'Write the repaired output.';
	if (kind === 'text') return null;
	let parsed: unknown;
	try {
		parsed = JSON.parse(text);
	} catch (e) {
		return `Not valid JSON: ${(e as Error).message}`;
	}
	const mismatch = validator?.(parsed);
	return mismatch ? `Does not fit the schema: ${mismatch}` : null;
}

/** JSON is edited pretty-printed; text as it is. */
export function editableText(output: string | null, kind: ContentKind): string {
	if (output === null) return '';
	if (kind === 'text') return output;
	try {
		return JSON.stringify(JSON.parse(output), null, 2);
	} catch {
		return output;
	}
}
