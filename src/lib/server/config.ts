import { z } from 'zod';

const configSchema = z.object({
	DATABASE_URL: z.string().min(1).default('data/winnow.db')
});

export type Config = { databaseUrl: string };

/** Reads the environment once at start-up; a bad value stops the start with a clear message. */
export function loadConfig(env: Record<string, string | undefined>): Config {
	const parsed = configSchema.safeParse(env);
	if (!parsed.success) {
		throw new Error(`Invalid configuration: ${z.prettifyError(parsed.error)}`);
	}
	return { databaseUrl: parsed.data.DATABASE_URL };
}
