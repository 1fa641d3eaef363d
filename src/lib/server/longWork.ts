// Long work (a large import, freezing a large dataset) runs in slices of about SLICE_MS and
// lets other requests in between them, so that nobody's claim or save waits behind it.

/** The longest a slice of long work keeps the event loop and the database to itself. */
export const SLICE_MS = 5;

/** Lets other requests run between two short transactions of long work. */
export function yieldToOthers(): Promise<void> {
	return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Runs `slice`, one short transaction that does part of the work and says how much it did,
 * until it does nothing, letting other requests in between.
 */
export async function inSlices(slice: () => Promise<number>): Promise<void> {
	while ((await slice()) > 0) await yieldToOthers();
}
