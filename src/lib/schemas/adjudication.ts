import { z } from 'zod';

/** The longest reason an adjudicator may give. */
export const REASON_MAX = 2000;

const blankToUndefined = (value: unknown) => (value === '' ? undefined : value);

/** An adjudicator's resolution of a dispute, from the dispute page's form or the API. */
export const resolveSchema = z.object({
	rating: z.preprocess(blankToUndefined, z.coerce.number('Choose a final rating.')),
	decision: z.enum(['accept', 'reject'], 'Choose accept or reject.'),
	reason: z
		.string('Say why you decided this way.')
		.trim()
		.min(1, 'Say why you decided this way.')
		.max(REASON_MAX, `Keep the reason under ${REASON_MAX} characters.`),
	/** A repaired output; blank, or the output unchanged, is no repair. */
	output: z.string().max(1_000_000, 'The repaired output is too long.').default('')
});
