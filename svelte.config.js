import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	kit: {
		adapter: adapter(),
		// SvelteKit adds a nonce (or a hash, on prerendered pages) for its own inline scripts.
		csp: {
			mode: 'auto',
			directives: {
				'default-src': ['self'],
				// The review screen checks a repair against the project's JSON Schema as it is typed,
				// with Ajv, which compiles each schema to a function from generated code.
				'script-src': ['self', 'unsafe-eval'],
				// Svelte writes style attributes (style:, and app.html's own), which need it.
				'style-src': ['self', 'unsafe-inline'],
				'img-src': ['self', 'data:'],
				'object-src': ['none'],
				'base-uri': ['self'],
				'form-action': ['self'],
				'frame-ancestors': ['none']
			}
		}
	}
};

export default config;
