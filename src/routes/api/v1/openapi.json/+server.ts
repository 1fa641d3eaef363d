import { json } from '@sveltejs/kit';
import { OPENAPI_DOCUMENT } from '$lib/server/openapi';
import type { RequestHandler } from './$types';

/** The API's description, for people and for client generators. */
export const GET: RequestHandler = () => json(OPENAPI_DOCUMENT);
