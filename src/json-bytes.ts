// What text weighs in a Temporal payload. Temporal's default converter writes a value as JSON text
// encoded in UTF-8, and its 2 MiB payload limit counts those bytes: a string weighs its UTF-8 bytes
// plus its quotes and escapes, not its length (a character of Chinese text is 1 in .length and 3
// bytes; an emoji 2 and 4; a control character 1 and 6 bytes as \u00XX).
//
// Pure and without Node built-ins (no Buffer): workflows reach it through src/batch.ts, which uses
// it to count a record's bytes against the batch caps.

/** Bytes of `JSON.stringify(text)` in UTF-8, its two quotes included, counted without building it. */
export function jsonStringBytes(text: string): number {
  let bytes = 2;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      bytes += ASCII_BYTES[c]!;
    } else if (c < 0x800) {
      bytes += 2;
    } else if (c >= 0xd800 && c <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4; // a pair: one character beyond the BMP, 4 bytes in UTF-8
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      bytes += 6; // a lone surrogate, which JSON.stringify writes as \uXXXX
    } else {
      bytes += 3;
    }
  }
  return bytes;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Bytes JSON.stringify writes for each ASCII character inside a string. */
const ASCII_BYTES: Uint8Array = (() => {
  const table = new Uint8Array(0x80).fill(1);
  for (let c = 0; c < 0x20; c++) table[c] = 6; // \u00XX
  for (const c of '\b\t\n\f\r"\\') table[c.charCodeAt(0)] = 2; // \b \t \n \f \r \" \\
  return table;
})();
