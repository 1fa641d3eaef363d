import { ratingLabel, type RatingScale } from '$lib/ratings';
import type { PageData } from './$types';

export type Detail = PageData['detail'];
export type RevisionView = Detail['revisions'][number];
export type ReviewView = RevisionView['reviews'][number];
export type Author = RevisionView['author'];

/**
 * Annotators review blind: the server sends a model's name to admins only, so for anyone
 * else a model's revision reads "Model output".
 */
export function authorLabel(author: Author): string {
	if (author.kind === 'import') return 'Imported';
	if (author.kind === 'model')
		return author.name ? `Model output (${author.name})` : 'Model output';
	return author.name ?? 'a removed account';
}

export const DECISION_LABELS = { accept: 'Accept', reject: 'Reject', repair: 'Repair' } as const;

/** A rating on the scale by its label; an aggregate between two points as a number. */
export function ratingText(scale: RatingScale, rating: number): string {
	const label = ratingLabel(scale, rating);
	if (label !== String(rating)) return label;
	const rounded = String(Math.round(rating * 100) / 100);
	return scale === 'five_star' ? `${rounded} stars` : rounded;
}
