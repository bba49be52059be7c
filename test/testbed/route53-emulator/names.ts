/**
 * Route 53's handling of DNS names and TXT values: names are stored lower-case and fully qualified,
 * returned with characters outside [a-z0-9-_.] as `\ooo` octal escapes (so `*` comes back as `\052`),
 * and sorted by their reversed labels; TXT values must be quoted character-strings.
 */

/** Canonical form: `\ooo` escapes decoded, lower-case, one trailing dot. */
export function canonicalName(input: string): string {
  const decoded = input.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
  const lower = decoded.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

/** The wire form Route 53 returns: octal escapes for anything but letters, digits, `-`, `_` and `.`. */
export function wireName(canonical: string): string {
  return canonical.replace(/[^a-z0-9\-_.]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/** True when `name` is the zone apex or below it. */
export function isInZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

/**
 * Sort key: labels reversed, with the trailing dot kept (the API reference notes that the dot changes
 * the order against characters below `.` in ASCII), compared as plain strings.
 */
export function sortKey(canonical: string): string {
  const labels = canonical.slice(0, -1).split('.');
  return `${labels.reverse().join('.')}.`;
}

export function compareRecordSets(a: { name: string; type: string }, b: { name: string; type: string }): number {
  const ka = sortKey(a.name);
  const kb = sortKey(b.name);
  if (ka !== kb) return ka < kb ? -1 : 1;
  return a.type < b.type ? -1 : a.type > b.type ? 1 : 0;
}

export type TxtParse = { ok: true; strings: string[] } | { ok: false; message: string };

/**
 * Parses one TXT ResourceRecord value into its character-strings (`"a" "b"` → ['a', 'b']), with
 * the FATAL problem text Route 53 reports for an unquoted or over-long value.
 */
export function parseTxtValue(value: string): TxtParse {
  const fatal = (problem: string): TxtParse => ({
    ok: false,
    message: `Invalid Resource Record: 'FATAL problem: ${problem} encountered with '${value}''`,
  });
  const strings: string[] = [];
  let i = 0;
  while (i < value.length) {
    if (/\s/.test(value[i])) {
      i++;
      continue;
    }
    if (value[i] !== '"') return fatal('InvalidCharacterString (Value should be enclosed in quotation marks)');
    let s = '';
    i++;
    for (;;) {
      if (i >= value.length) return fatal('InvalidCharacterString (Value should be enclosed in quotation marks)');
      const c = value[i];
      if (c === '"') {
        i++;
        break;
      }
      if (c === '\\') {
        const oct = /^[0-9]{3}/.exec(value.slice(i + 1));
        if (oct) {
          s += String.fromCharCode(parseInt(oct[0], 8));
          i += 4;
        } else if (i + 1 < value.length) {
          s += value[i + 1];
          i += 2;
        } else {
          return fatal('InvalidCharacterString (Value should be enclosed in quotation marks)');
        }
        continue;
      }
      s += c;
      i++;
    }
    if (s.length > 255) return fatal('CharacterStringTooLong (Value is too long)');
    strings.push(s);
  }
  if (strings.length === 0) return fatal('InvalidCharacterString (Value should be enclosed in quotation marks)');
  return { ok: true, strings };
}

/** What a DNS client sees for a TXT value: its character-strings concatenated (RFC 7208 §3.3 style). */
export function txtContent(value: string): string {
  const parsed = parseTxtValue(value);
  return parsed.ok ? parsed.strings.join('') : value;
}
