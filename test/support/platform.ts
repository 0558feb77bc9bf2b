/**
 * What the application runs on in a test: the real platform of src/real-platform.ts (real sockets, DNS,
 * files, the system clock), with the parts a test gives instead (a fake clock, a board in memory).
 */
import type { Platform } from '../../src/app/platform.ts';
import { realPlatform } from '../../src/real-platform.ts';
import { MemoryLogger } from '../../src/util/log.ts';

export function testPlatform(parts: Partial<Platform> = {}): Platform {
  // A test's log is its own; what the application logs is read from a MemoryLogger it is handed.
  return { ...realPlatform(), logger: () => new MemoryLogger(), ...parts };
}
