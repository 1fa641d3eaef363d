import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { eq } from 'drizzle-orm';
import type { Db } from './db';
import { instanceSetting } from './db/schema';

// Provider API keys are stored encrypted with AES-256-GCM. The key comes from WINNOW_SECRET
// when it is set, or from a file generated into the data folder on first start, readable by
// its owner only. Losing the secret loses the stored keys (they can be entered again), never
// the data.

export type SecretKey = Buffer & { readonly __secretKey: true };

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A 32-byte key from any passphrase: the environment's secret may be of any length. */
export function secretKeyFrom(passphrase: string): SecretKey {
	return createHash('sha256').update(passphrase, 'utf8').digest() as SecretKey;
}

/** The secret from the environment, or the one kept in `file` (created when missing). */
export function loadSecretKey(envSecret: string | undefined, file: string): SecretKey {
	if (envSecret) return secretKeyFrom(envSecret);
	if (!existsSync(file)) {
		mkdirSync(dirname(file), { recursive: true });
		writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
	}
	return secretKeyFrom(readFileSync(file, 'utf8').trim());
}

export function encryptSecret(key: SecretKey, plain: string): string {
	const iv = randomBytes(IV_BYTES);
	const cipher = createCipheriv('aes-256-gcm', key, iv);
	const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
	return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64')}`;
}

/** The plain text, or null when it was sealed with another secret or altered. */
export function decryptSecret(key: SecretKey, stored: string): string | null {
	const [version, body] = stored.split(':', 2);
	if (version !== VERSION || !body) return null;
	const bytes = Buffer.from(body, 'base64');
	if (bytes.length < IV_BYTES + TAG_BYTES) return null;
	try {
		const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
		decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
		return Buffer.concat([
			decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)),
			decipher.final()
		]).toString('utf8');
	} catch {
		return null;
	}
}

const CHECK_KEY = 'secret_check';
const CHECK_TEXT = 'winnow provider keys';

/**
 * Every process must seal and open provider keys with the same secret. The first process to
 * start seals a known text into the database; a later one whose secret cannot open it is
 * refused, before it could fail every provider call.
 */
export async function checkSecret(
	db: Db,
	key: SecretKey
): Promise<{ ok: true } | { ok: false; message: string }> {
	const stored = await db
		.select({ value: instanceSetting.value })
		.from(instanceSetting)
		.where(eq(instanceSetting.key, CHECK_KEY))
		.limit(1);
	if (stored.length === 0) {
		await db.transaction(async (tx) =>
			tx
				.insert(instanceSetting)
				.values({ key: CHECK_KEY, value: encryptSecret(key, CHECK_TEXT) })
				.onConflictDoNothing()
		);
		return checkSecret(db, key);
	}
	if (decryptSecret(key, stored[0].value) === CHECK_TEXT) return { ok: true };
	return {
		ok: false,
		message:
			'This process cannot open the provider keys in the database: its WINNOW_SECRET (or data/secret.key) is not the one the other Winnow processes use. Start it with the same secret.'
	};
}
