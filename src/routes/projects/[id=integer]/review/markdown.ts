import DOMPurify, { type DOMPurify as Purifier } from 'dompurify';
import { marked } from 'marked';

// Outputs are written by models and imported files: an image in one could be a tracking pixel
// that tells a stranger who reviews what, and when. Only images this site serves (or carries
// inline) are shown; the Content-Security-Policy's img-src refuses the others as well.

let purifier: Purifier | undefined;

/** Whether the image at `src` would load from this site, or from nowhere (inline data). */
function isOwnImage(src: string): boolean {
	if (/^data:image\//i.test(src.trim())) return true;
	try {
		return new URL(src, window.location.href).origin === window.location.origin;
	} catch {
		return false;
	}
}

/** A DOMPurify of its own, so its hook touches no other use of the sanitizer. */
function markdownPurifier(): Purifier {
	if (purifier) return purifier;
	purifier = DOMPurify(window);
	purifier.addHook('afterSanitizeAttributes', (node) => {
		if (node.nodeName !== 'IMG' || !(node instanceof Element)) return;
		const src = node.getAttribute('src') ?? '';
		if (isOwnImage(src)) return;
		const alt = node.getAttribute('alt');
		node.replaceWith(node.ownerDocument.createTextNode(`[image not loaded: ${alt || src}]`));
	});
	return purifier;
}

/**
 * Markdown as HTML that is safe to insert: every tag and attribute passes DOMPurify, and images
 * from other sites are replaced by a note naming them. `srcset` and `style` could load from
 * elsewhere too, so they are dropped.
 */
export function renderMarkdown(text: string): string {
	if (typeof window === 'undefined') return '';
	return markdownPurifier().sanitize(marked.parse(text, { async: false }), {
		USE_PROFILES: { html: true },
		FORBID_ATTR: ['srcset', 'style']
	});
}
