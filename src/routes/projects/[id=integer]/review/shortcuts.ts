import type { ScaleValue } from '$lib/ratings';

export type Shortcut =
	| { kind: 'rate'; value: number }
	| { kind: 'row'; step: 1 | -1 }
	| { kind: 'submit'; decision?: 'accept' | 'reject' }
	| { kind: 'edit' | 'skip' | 'undo' | 'comment' | 'help' };

/** What a key does on the review screen; rating keys follow the project's scale. */
export function shortcutFor(key: string, scale: ScaleValue[]): Shortcut | null {
	const rated = scale.find((v) => v.key === key.toLowerCase());
	if (rated) return { kind: 'rate', value: rated.value };
	switch (key) {
		case 'ArrowDown':
		case 'j':
			return { kind: 'row', step: 1 };
		case 'ArrowUp':
		case 'k':
			return { kind: 'row', step: -1 };
		case 'Enter':
			return { kind: 'submit' };
		case 'a':
			return { kind: 'submit', decision: 'accept' };
		case 'r':
			return { kind: 'submit', decision: 'reject' };
		case 'e':
			return { kind: 'edit' };
		case 's':
			return { kind: 'skip' };
		case 'u':
			return { kind: 'undo' };
		case 'n':
			return { kind: 'comment' };
		case '?':
			return { kind: 'help' };
		default:
			return null;
	}
}

/** The help overlay's list. */
export function SHORTCUTS(scale: ScaleValue[], hasRequirements: boolean): [string, string][] {
	return [
		[scale.map((v) => v.key.toUpperCase()).join(' '), scale.map((v) => v.label).join(', ')],
		...(hasRequirements
			? ([['↑ ↓ / J K', 'Move between the overall rating and each requirement']] as [
					string,
					string
				][])
			: []),
		['Enter', 'Submit: accept at the threshold or above, reject below'],
		['A', 'Accept and submit'],
		['R', 'Reject and submit'],
		['E', 'Repair the output'],
		['Ctrl+Enter', 'Save the repair'],
		['S', 'Skip this example'],
		['U', 'Undo the last review'],
		['N', 'Write a comment'],
		['Esc', 'Leave the comment or the editor'],
		['?', 'This help']
	];
}
