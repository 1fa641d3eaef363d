import mammoth from 'mammoth';

// A document's text as a documents job splits it: markdown and plain text as they are, a DOCX
// file's paragraphs with its headings as markdown headings (mammoth reads Word's heading
// styles), a PDF's lines joined into paragraphs, with lines set larger than the body text taken
// as headings (pdf.js reads the text; a PDF has no headings of its own to read).

export const DOCUMENT_EXTENSIONS = ['txt', 'md', 'markdown', 'pdf', 'docx'] as const;

export type DocumentText = { ok: true; text: string } | { ok: false; error: string };

export function documentKind(name: string): 'text' | 'pdf' | 'docx' | null {
	const extension = /\.([a-z]+)$/i.exec(name)?.[1]?.toLowerCase() ?? '';
	if (extension === 'pdf') return 'pdf';
	if (extension === 'docx') return 'docx';
	return ['txt', 'md', 'markdown'].includes(extension) ? 'text' : null;
}

export async function documentText(name: string, bytes: Uint8Array): Promise<DocumentText> {
	const kind = documentKind(name);
	if (kind === null) {
		return { ok: false, error: `${name} is not a .txt, .md, .pdf or .docx file.` };
	}
	let text: string;
	try {
		text =
			kind === 'pdf'
				? await pdfText(bytes)
				: kind === 'docx'
					? await docxText(bytes)
					: new TextDecoder().decode(bytes);
	} catch {
		return {
			ok: false,
			error: `${name} could not be read as a ${kind === 'pdf' ? 'PDF' : 'Word (.docx)'} file; it may be damaged or protected by a password.`
		};
	}
	if (text.trim() === '') {
		return {
			ok: false,
			error:
				kind === 'pdf'
					? `${name} has no text to read: it looks like a scanned PDF (pictures of pages). Run it through text recognition (OCR) first.`
					: `${name} is empty.`
		};
	}
	return { ok: true, text };
}

const ENTITIES: Record<string, string> = {
	'&amp;': '&',
	'&lt;': '<',
	'&gt;': '>',
	'&quot;': '"',
	'&#39;': "'"
};

/** Mammoth's HTML, block by block: headings as markdown headings, other blocks as paragraphs. */
async function docxText(bytes: Uint8Array): Promise<string> {
	const { value: html } = await mammoth.convertToHtml({ buffer: Buffer.from(bytes) });
	const blocks: string[] = [];
	for (const match of html.matchAll(/<(h[1-6]|p|li|td|th)\b[^>]*>([\s\S]*?)<\/\1>/g)) {
		const text = match[2]
			.replace(/<br\s*\/?>/g, '\n')
			.replace(/<[^>]+>/g, '')
			.replace(/&(amp|lt|gt|quot|#39);/g, (entity) => ENTITIES[entity])
			.trim();
		if (!text) continue;
		const level = /^h([1-6])$/.exec(match[1])?.[1];
		blocks.push(level ? `${'#'.repeat(Number(level))} ${text}` : text);
	}
	return blocks.join('\n\n');
}

type Line = { text: string; size: number; y: number; page: number };

/**
 * A PDF's text, line by line as pdf.js places it: a gap between lines wider than the text's
 * own spacing starts a new paragraph, and a line set clearly larger than the body text (by
 * its most common size) becomes a heading.
 */
async function pdfText(bytes: Uint8Array): Promise<string> {
	const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs');
	const pdf = await getDocument({
		data: new Uint8Array(bytes),
		useSystemFonts: false,
		isEvalSupported: false,
		verbosity: 0
	}).promise;
	const lines: Line[] = [];
	try {
		for (let number = 1; number <= pdf.numPages; number++) {
			const page = await pdf.getPage(number);
			const content = await page.getTextContent();
			let line: Line | null = null;
			for (const item of content.items) {
				if (!('str' in item)) continue;
				const y = item.transform[5];
				const size = Math.hypot(item.transform[2], item.transform[3]) || item.height;
				if (line && Math.abs(line.y - y) > size / 2) {
					lines.push(line);
					line = null;
				}
				line ??= { text: '', size, y, page: number };
				line.text += item.str;
				line.size = Math.max(line.size, size);
				if (item.hasEOL) {
					lines.push(line);
					line = null;
				}
			}
			if (line) lines.push(line);
		}
	} finally {
		await pdf.destroy();
	}
	const kept = lines.filter((l) => l.text.trim() !== '');
	const sizes = new Map<number, number>();
	for (const l of kept) {
		const size = Math.round(l.size);
		sizes.set(size, (sizes.get(size) ?? 0) + l.text.length);
	}
	const body = [...sizes].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 0;
	const blocks: string[] = [];
	let paragraph = '';
	kept.forEach((l, i) => {
		const previous = kept[i - 1];
		const heading = body > 0 && l.size >= body * 1.2;
		const gap =
			previous === undefined ||
			previous.page !== l.page ||
			previous.y - l.y > Math.max(previous.size, l.size) * 1.6;
		const previousHeading = previous !== undefined && body > 0 && previous.size >= body * 1.2;
		if (paragraph && (heading || gap || previousHeading)) {
			blocks.push(paragraph);
			paragraph = '';
		}
		const text = l.text.trim();
		if (heading) blocks.push(`## ${text}`);
		else paragraph = paragraph ? `${paragraph} ${text}` : text;
	});
	if (paragraph) blocks.push(paragraph);
	return blocks.join('\n\n');
}
