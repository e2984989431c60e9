import { randomBytes, randomInt, scrypt, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: object,
) => Promise<Buffer>;

// No look-alikes (0/O, 1/l/I), so the user can type what the admin reads out.
const LOWER = "abcdefghijkmnpqrstuvwxyz";
const UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ";
const DIGITS = "23456789";
const SYMBOLS = "!#%+=?@";
const ALL = LOWER + UPPER + DIGITS + SYMBOLS;

/** 16 characters with every class, from the CSPRNG: meets Entra ID's and Google's complexity rules. */
export function generateTemporaryPassword(length = 16): string {
  const chars = [LOWER, UPPER, DIGITS, SYMBOLS].map(pick);
  while (chars.length < length) chars.push(pick(ALL));
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j] as string, chars[i] as string];
  }
  return chars.join("");
}

function pick(set: string): string {
  return set[randomInt(set.length)] as string;
}

// The temporary password is ~95 random bits and must be changed at first sign-in: guessing it
// is hopeless whatever the hash costs, so a low scrypt cost (~2 ms; 2^12 took ~9 ms, a third of
// a restore on the benchmark machine) keeps restores fast. The parameters travel with the hash,
// so they can be raised for passwords that people choose.
const COST = { N: 2 ** 10, r: 8, p: 1 };

/** Only the hash is stored; the password itself is returned once to the admin and never kept. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, 32, COST);
  return `scrypt$${COST.N}$${COST.r}$${COST.p}$${salt.toString("base64")}$${key.toString("base64")}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split("$");
  if (scheme !== "scrypt" || !n || !r || !p || !salt || !key) return false;
  const expected = Buffer.from(key, "base64");
  const actual = await scryptAsync(password, Buffer.from(salt, "base64"), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return timingSafeEqual(actual, expected);
}
