import { median } from '$lib/agreement';

/**
 * The median of the times an annotator took per review, in whole seconds; null before the
 * first. The median, so that one item left open over a break does not make the pace look slow.
 */
export function medianSeconds(durationsMs: readonly number[]): number | null {
	const middle = median(durationsMs);
	return middle === null ? null : Math.round(middle / 1000);
}
