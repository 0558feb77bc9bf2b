/**
 * A firmware file as the Pico's flash holds it, from any of the three forms `make -C firmware` writes:
 * the ELF (its loadable segments at their flash addresses: ELF32, ARM, little-endian; System V ABI
 * "Program Header"), the UF2 a person drags onto the Pico in BOOTSEL (512-byte blocks, each with its
 * target address; UF2 specification, microsoft/uf2) or the raw image from 0x10000000. What is not one of
 * them is refused with one line that says why.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../../src/util/user-error.ts';

export class FirmwareImageError extends UserError<'unreadable' | 'not-firmware'> {
  override readonly name = 'FirmwareImageError';
}

const FLASH_START = 0x10000000;
/** The Pico's W25Q16JV: 2 MiB. */
const FLASH_BYTES = 2 * 1024 * 1024;
const ELF_MAGIC = 0x464c457f; // "\x7fELF"
const UF2_MAGIC_START0 = 0x0a324655;
const UF2_MAGIC_START1 = 0x9e5d5157;
const UF2_MAGIC_END = 0x0ab16f30;
const RP2040_FAMILY_ID = 0xe48bff56;
const UF2_FAMILY_ID_PRESENT = 0x00002000;
const PT_LOAD = 1;
const EM_ARM = 40;

/** Reads `path` and returns the flash contents from 0x10000000 (boot2 first). */
export function readFirmwareImage(path: string): Uint8Array {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error);
    throw new FirmwareImageError('unreadable', `cannot read the firmware ${path}: ${why}`);
  }
  const refuse = (why: string) =>
    new FirmwareImageError('not-firmware', `${path} is not RP2040 firmware: ${why}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const word = (at: number) => (at + 4 <= bytes.length ? view.getUint32(at, true) : -1);
  let image: Uint8Array;
  if (word(0) === ELF_MAGIC) image = fromElf(bytes, view, refuse);
  else if (word(0) === UF2_MAGIC_START0 && word(4) === UF2_MAGIC_START1) image = fromUf2(bytes, view, refuse);
  else image = bytes;
  if (image.length < 0x108) throw refuse(`${image.length} bytes, too few for boot2 and a vector table`);
  if (image.length > FLASH_BYTES) throw refuse(`${image.length} bytes, more than the Pico's 2 MiB flash`);
  // The vector table after boot2 (RP2040 datasheet §2.8.1.3): a stack in SRAM, a reset handler in flash.
  const table = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const stack = table.getUint32(0x100, true);
  const reset = table.getUint32(0x104, true);
  if (stack >>> 28 !== 0x2 || reset >>> 28 !== 0x1)
    throw refuse('no vector table at 0x10000100 (stack in SRAM, reset handler in flash)');
  return image;
}

/**
 * Which of `boards` (board ids) the firmware in `image` is built for: the one whose id it holds as a
 * C string (firmware/src/board.h's BOARD_ID, which INFO sends); null when it holds none, or several.
 */
export function boardOf(image: Uint8Array, boards: readonly string[]): string | null {
  const text = Buffer.from(image.buffer, image.byteOffset, image.byteLength);
  const found = boards.filter((id) => text.includes(Buffer.from(`\0${id}\0`).subarray(1)));
  return found.length === 1 ? found[0]! : null;
}

function fromElf(bytes: Buffer, view: DataView, refuse: (why: string) => Error): Uint8Array {
  if (bytes[4] !== 1 || bytes[5] !== 1) throw refuse('an ELF, but not 32-bit little-endian');
  if (view.getUint16(18, true) !== EM_ARM) throw refuse('an ELF, but not for ARM');
  const phoff = view.getUint32(28, true);
  const phentsize = view.getUint16(42, true);
  const phnum = view.getUint16(44, true);
  const image = new Uint8Array(FLASH_BYTES).fill(0xff);
  let end = 0;
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 32 > bytes.length) throw refuse('its program headers run past the end of the file');
    if (view.getUint32(at, true) !== PT_LOAD) continue;
    const offset = view.getUint32(at + 4, true);
    const paddr = view.getUint32(at + 12, true); // where it is stored: flash, also for .data
    const size = view.getUint32(at + 16, true);
    if (size === 0) continue;
    if (paddr < FLASH_START || paddr + size > FLASH_START + FLASH_BYTES) continue; // RAM only (.bss)
    if (offset + size > bytes.length) throw refuse('a segment runs past the end of the file');
    image.set(bytes.subarray(offset, offset + size), paddr - FLASH_START);
    end = Math.max(end, paddr - FLASH_START + size);
  }
  if (end === 0) throw refuse('an ELF with nothing for flash');
  return image.subarray(0, end);
}

function fromUf2(bytes: Buffer, view: DataView, refuse: (why: string) => Error): Uint8Array {
  if (bytes.length % 512 !== 0) throw refuse(`a UF2 of ${bytes.length} bytes, not whole 512-byte blocks`);
  const image = new Uint8Array(FLASH_BYTES).fill(0xff);
  let end = 0;
  for (let at = 0; at < bytes.length; at += 512) {
    const block = at / 512;
    if (
      view.getUint32(at, true) !== UF2_MAGIC_START0 ||
      view.getUint32(at + 4, true) !== UF2_MAGIC_START1 ||
      view.getUint32(at + 508, true) !== UF2_MAGIC_END
    )
      throw refuse(`UF2 block ${block} has wrong magic numbers`);
    const flags = view.getUint32(at + 8, true);
    if ((flags & UF2_FAMILY_ID_PRESENT) !== 0 && view.getUint32(at + 28, true) !== RP2040_FAMILY_ID)
      throw refuse(
        `UF2 block ${block} is for family 0x${view.getUint32(at + 28, true).toString(16)}, not the RP2040's`,
      );
    const address = view.getUint32(at + 12, true);
    const size = view.getUint32(at + 16, true);
    if (size > 476 || address < FLASH_START || address + size > FLASH_START + FLASH_BYTES)
      throw refuse(`UF2 block ${block} writes ${size} bytes at 0x${address.toString(16)}, outside the flash`);
    image.set(bytes.subarray(at + 32, at + 32 + size), address - FLASH_START);
    end = Math.max(end, address - FLASH_START + size);
  }
  return image.subarray(0, end);
}
