import type { ScaleValue } from '$lib/ratings';

export type DisputeKey =
	| { kind: 'rate'; value: number }
	| { kind: 'decide'; decision: 'accept' | 'reject' }
	| { kind: 'edit' | 'reason' | 'resolve' | 'help' };

/**
 * What a key does on a dispute, as on the review screen: the scale's keys rate, A and R
 * decide (and, since a resolution needs a reason, move on to it), E repairs, N writes the
 * reason, Enter resolves and opens the next dispute.
 */
export function disputeKeyFor(key: string, scale: ScaleValue[]): DisputeKey | null {
	const rated = scale.find((v) => v.key === key.toLowerCase());
	if (rated) return { kind: 'rate', value: rated.value };
	switch (key) {
		case 'a':
			return { kind: 'decide', decision: 'accept' };
		case 'r':
			return { kind: 'decide', decision: 'reject' };
		case 'e':
			return { kind: 'edit' };
		case 'n':
			return { kind: 'reason' };
		case 'Enter':
			return { kind: 'resolve' };
		case '?':
			return { kind: 'help' };
		default:
			return null;
	}
}

/** The help overlay's list. */
export function DISPUTE_SHORTCUTS(scale: ScaleValue[]): [string, string][] {
	return [
		[
			scale.map((v) => v.key.toUpperCase()).join(' '),
			`Final rating: ${scale.map((v) => v.label).join(', ')}`
		],
		['A', 'Accept, then write the reason'],
		['R', 'Reject, then write the reason'],
		['N', 'Write the reason'],
		['E', 'Repair the output'],
		['Enter', 'Resolve and open the next dispute (Shift+Enter: a new line in the reason)'],
		['Ctrl+Enter', 'Resolve, from the repair editor too'],
		['Esc', 'Leave the reason or the editor'],
		['?', 'This help']
	];
}
