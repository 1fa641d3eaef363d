import type { ContentKind } from './schemas/project';

/** An output as people read and edit it: JSON pretty-printed, text as it is. */
export function prettyContent(text: string, kind: ContentKind): string {
	if (kind === 'text') return text;
	try {
		return JSON.stringify(JSON.parse(text), null, 2);
	} catch {
		return text;
	}
}
