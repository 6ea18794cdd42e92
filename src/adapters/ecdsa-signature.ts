/**
 * KMS answers ECDSA signatures as ASN.1 DER `SEQUENCE { r INTEGER, s INTEGER }`; JWS (RFC 7518 §3.4)
 * wants the fixed-width concatenation `r || s`. This converts one to the other and refuses anything
 * that is not exactly such a sequence, rather than producing a signature nobody can verify.
 */
export function derToJose(der: Uint8Array, componentBytes = 32): Uint8Array {
  let offset = 0;
  const expect = (condition: boolean, what: string) => {
    if (!condition) throw new TypeError(`malformed DER ECDSA signature: ${what}`);
  };
  const readLength = (): number => {
    expect(offset < der.length, 'truncated length');
    const first = der[offset++]!;
    if (first < 0x80) return first;
    const count = first & 0x7f;
    expect(count === 1 || count === 2, 'unsupported length form');
    let length = 0;
    for (let index = 0; index < count; index++) {
      expect(offset < der.length, 'truncated length');
      length = (length << 8) | der[offset++]!;
    }
    return length;
  };
  const readInteger = (): Uint8Array => {
    expect(der[offset++] === 0x02, 'expected INTEGER');
    const length = readLength();
    expect(length > 0 && offset + length <= der.length, 'bad INTEGER length');
    let value = der.subarray(offset, offset + length);
    offset += length;
    while (value.length > 1 && value[0] === 0) value = value.subarray(1);
    expect(value.length <= componentBytes, 'INTEGER longer than the curve order');
    const padded = new Uint8Array(componentBytes);
    padded.set(value, componentBytes - value.length);
    return padded;
  };

  expect(der[offset++] === 0x30, 'expected SEQUENCE');
  const sequenceLength = readLength();
  expect(offset + sequenceLength === der.length, 'SEQUENCE length does not match');
  const r = readInteger();
  const s = readInteger();
  expect(offset === der.length, 'trailing bytes');
  const jose = new Uint8Array(componentBytes * 2);
  jose.set(r, 0);
  jose.set(s, componentBytes);
  return jose;
}
