// Documents into passages for a "documents" job: each passage is one item, and the teacher
// proposes input/output pairs from it. The split is made here, by headings and paragraphs,
// rather than by the teacher, so every passage is the document's own text and every pair can
// be traced to the words it came from.

import { documentText } from './documentText';

export const PASSAGE_CHARS = 2000;

export type Passage = { text: string; document: string };

/**
 * Splits a text or markdown document at headings and blank lines, and packs consecutive
 * paragraphs into passages of at most `maxChars` (a longer paragraph is cut at sentence ends).
 * A heading starts a new passage and stays with the text under it.
 */
export function splitIntoPassages(
	text: string,
	document: string,
	maxChars = PASSAGE_CHARS
): Passage[] {
	const blocks = text
		.replace(/\r\n?/g, '\n')
		.split(/\n\s*\n|\n(?=#{1,6}\s)/)
		.map((b) => b.trim())
		.filter(Boolean)
		.flatMap((block) => cut(block, maxChars));
	const passages: Passage[] = [];
	let current = '';
	for (const block of blocks) {
		const heading = /^#{1,6}\s/.test(block);
		if (current && (heading || current.length + block.length + 2 > maxChars)) {
			passages.push({ text: current, document });
			current = '';
		}
		current = current ? `${current}\n\n${block}` : block;
	}
	if (current) passages.push({ text: current, document });
	return passages;
}

function cut(block: string, maxChars: number): string[] {
	if (block.length <= maxChars) return [block];
	const sentences = block.match(/[^.!?]+(?:[.!?]+|$)\s*/g) ?? [block];
	const pieces: string[] = [];
	let current = '';
	for (const sentence of sentences) {
		if (current && current.length + sentence.length > maxChars) {
			pieces.push(current.trim());
			current = '';
		}
		// A single sentence longer than a passage is cut where it must be.
		for (let s = sentence; s.length > 0; s = s.slice(maxChars)) {
			if (s.length > maxChars) pieces.push(s.slice(0, maxChars));
			else current += s;
			if (s.length <= maxChars) break;
		}
	}
	if (current.trim()) pieces.push(current.trim());
	return pieces;
}

export type UploadedDocument = { name: string; bytes: Uint8Array };

/**
 * Every document's text split into passages, in the order given; or the first document that
 * cannot be read, and why.
 */
export async function documentPassages(
	documents: UploadedDocument[]
): Promise<{ ok: false; error: string } | { ok: true; passages: string[] }> {
	if (documents.length === 0) {
		return { ok: false, error: 'Choose one or more text, markdown, PDF or Word (.docx) files.' };
	}
	const passages: string[] = [];
	for (const document of documents) {
		const read = await documentText(document.name, document.bytes);
		if (!read.ok) return read;
		passages.push(...splitIntoPassages(read.text, document.name).map((p) => p.text));
	}
	return { ok: true, passages };
}
