import { prettyContent } from '$lib/content';
import type { SchemaValidator } from '$lib/jsonSchema';
import type { ContentKind } from '$lib/schemas/project';
import { readTurn, type Thread } from '$lib/conversations';

/** Why a repaired output cannot be saved yet, or null; the server checks the same again. */
export function draftProblem(
	text: string,
	kind: ContentKind,
	validator: SchemaValidator | null,
	/** For a turn: the thread before it, whose tools its calls must fit. */
	context: string | null = null
): string | null {
	if (text.trim() === '') return 'Write the repaired output.';
	if (kind === 'text') return null;
	if (kind === 'turn') {
		try {
			const read = readTurn(JSON.parse(context ?? '{"messages": []}') as Thread, JSON.parse(text));
			return read.ok ? null : read.reason;
		} catch (e) {
			return `Not valid JSON: ${(e as Error).message}`;
		}
	}
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
	return output === null ? '' : prettyContent(output, kind);
}
