// The shapes agreement figures take in the API: a statistic is a value, or null with the reason
// it is undefined (one coder, no pairable units…), as lib/agreement.ts computes them.
import { z } from 'zod';

const undefinedBecause = z.object({ value: z.null(), reason: z.string() });

/** A value, or why there is none. */
export const outcomeOf = <T extends z.ZodType>(value: T) =>
	z.union([z.object({ value }), undefinedBecause]);

/** A statistic: a number, or null and why it is undefined. */
export const statisticSchema = outcomeOf(z.number());

/** Krippendorff's alpha with its percentile bootstrap interval. */
export const alphaIntervalSchema = outcomeOf(
	z.object({
		alpha: z.number(),
		lower: z.number(),
		upper: z.number(),
		replicates: z.number().int(),
		/** Replicates whose alpha was undefined, left out of the interval. */
		undefinedReplicates: z.number().int()
	})
);

/** A statistic with its percentile bootstrap interval over units. */
export const estimateIntervalSchema = outcomeOf(
	z.object({ value: z.number(), lower: z.number(), upper: z.number() })
);

/** A 95% Wilson interval's bounds; null when nothing was counted. */
export const wilsonBounds = { low: z.number().nullable(), high: z.number().nullable() };
