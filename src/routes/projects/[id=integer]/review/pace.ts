/**
 * The median of the times an annotator took per review, in whole seconds; null before the
 * first. The median, so that one item left open over a break does not make the pace look slow.
 */
export function medianSeconds(durationsMs: readonly number[]): number | null {
	if (durationsMs.length === 0) return null;
	const sorted = [...durationsMs].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	const median =
		sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
	return Math.round(median / 1000);
}
