/* global process, Buffer */
// A flash image as UF2, the format the Pico's bootrom takes when it shows up as a drive (BOOTSEL; UF2
// specification, microsoft/uf2): 512-byte blocks, each 256 bytes of the image at its flash address, with
// the RP2040's family id. Usage: node uf2.mjs IMAGE.bin OUT.uf2 (the image starts at 0x10000000).
import { readFileSync, writeFileSync } from 'node:fs';

const MAGIC_START0 = 0x0a324655;
const MAGIC_START1 = 0x9e5d5157;
const MAGIC_END = 0x0ab16f30;
const FLAG_FAMILY_ID_PRESENT = 0x00002000;
const RP2040_FAMILY_ID = 0xe48bff56;
const FLASH_START = 0x10000000;
const PAYLOAD = 256;

const [, , input, output] = process.argv;
const image = readFileSync(input);
const blocks = Math.ceil(image.length / PAYLOAD);
const uf2 = Buffer.alloc(blocks * 512);
for (let block = 0; block < blocks; block++) {
  const at = block * 512;
  uf2.writeUInt32LE(MAGIC_START0, at);
  uf2.writeUInt32LE(MAGIC_START1, at + 4);
  uf2.writeUInt32LE(FLAG_FAMILY_ID_PRESENT, at + 8);
  uf2.writeUInt32LE(FLASH_START + block * PAYLOAD, at + 12);
  uf2.writeUInt32LE(PAYLOAD, at + 16);
  uf2.writeUInt32LE(block, at + 20);
  uf2.writeUInt32LE(blocks, at + 24);
  uf2.writeUInt32LE(RP2040_FAMILY_ID, at + 28);
  image.copy(uf2, at + 32, block * PAYLOAD, Math.min(image.length, (block + 1) * PAYLOAD));
  uf2.writeUInt32LE(MAGIC_END, at + 508);
}
writeFileSync(output, uf2);
