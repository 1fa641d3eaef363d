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
