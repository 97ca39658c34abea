// Text rules the client checks before sending (the server checks them again).

/** A password's length as bcrypt and the server count it: UTF-8 bytes. */
export function passwordBytes(password) {
  return new TextEncoder().encode(password).length;
}

export const PASSWORD_MIN_BYTES = 8;
export const PASSWORD_MAX_BYTES = 72;

/** null when the password fits 8–72 bytes; "too_short" or "too_long" otherwise. */
export function checkPassword(password) {
  const bytes = passwordBytes(password);
  if (bytes < PASSWORD_MIN_BYTES) return "too_short";
  if (bytes > PASSWORD_MAX_BYTES) return "too_long";
  return null;
}

/** Characters as the database counts them: code points after NFC, surrounding spaces trimmed. */
export function countCharacters(text) {
  return [...String(text).normalize("NFC").trim()].length;
}

// The server's own rule for addresses (SignupRequest in the Auth OpenAPI document).
const EMAIL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)+$/;

export function isEmail(text) {
  const trimmed = String(text).trim();
  return trimmed.length <= 254 && EMAIL.test(trimmed);
}

/** Tags typed as "swift, 검색 db" → ["swift", "검색", "db"]: split on commas and spaces, duplicates dropped. */
export function parseTags(text) {
  const seen = new Set();
  const tags = [];
  for (const part of String(text).split(/[,\s]+/)) {
    const tag = part.trim().replace(/^#/, "");
    if (!tag || seen.has(tag.toLowerCase())) continue;
    seen.add(tag.toLowerCase());
    tags.push(tag);
  }
  return tags;
}
