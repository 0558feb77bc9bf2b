/* global process, Buffer, console */
// boot2 as the bootrom takes it (RP2040 datasheet §2.8.1.3): the code padded to 252 bytes, then the
// CRC-32 of those 252 bytes (polynomial 0x04C11DB7, initial 0xFFFFFFFF, no reflection, no final XOR),
// little-endian. Usage: node boot2-checksum.mjs CODE.bin OUT.bin
import { readFileSync, writeFileSync } from 'node:fs';

const [, , input, output] = process.argv;
const code = readFileSync(input);
if (code.length > 252) {
  console.error(`boot2: ${code.length} bytes of code, at most 252 fit`);
  process.exit(1);
}
const image = Buffer.alloc(256);
code.copy(image);
let crc = 0xffffffff;
for (let i = 0; i < 252; i++) {
  crc ^= image[i] << 24;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
  crc >>>= 0;
}
image.writeUInt32LE(crc, 252);
writeFileSync(output, image);
