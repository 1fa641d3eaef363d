import DOMPurify from 'dompurify';
import { marked } from 'marked';

/** Markdown as HTML that is safe to insert: every tag and attribute passes DOMPurify. */
export function renderMarkdown(text: string): string {
	if (typeof window === 'undefined') return '';
	return DOMPurify.sanitize(marked.parse(text, { async: false }), { USE_PROFILES: { html: true } });
}
